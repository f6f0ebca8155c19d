# syntax=docker/dockerfile:1
# The metasrv image: `metasrv start` for the pods of a MetasrvCluster (the operator passes
# `start ...` as args), `metasrv operator` for the operator (manifests/install.yaml, the chart).
#
#   docker build -t metasrv:0.1.0 .

# Build: the shaded jar target/metasrv.jar, tests skipped (CI runs them with `mvn -B verify`).
# The Maven repository is a BuildKit cache, so dependencies are downloaded once, not per build.
FROM maven:3.9.11-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml ./
COPY src ./src
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -q -Dmaven.test.skip=true package

# Run: a JRE only, as an unprivileged numeric user (runAsNonRoot can check a number; 65532 is
# the runAsUser of the operator's Deployment).
FROM eclipse-temurin:17-jre
# data_home defaults to ./greptimedb_data/metasrv, so the working directory must be writable.
RUN mkdir -p /opt/metasrv /var/lib/metasrv && chown 65532:65532 /var/lib/metasrv
COPY --from=build /src/target/metasrv.jar /opt/metasrv/metasrv.jar
COPY bin/jvm.options /opt/metasrv/jvm.options
WORKDIR /var/lib/metasrv
ENV HOME=/var/lib/metasrv \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"
USER 65532:65532
# gRPC, admin HTTP (metasrv start); health and metrics (metasrv operator).
EXPOSE 3002 4000 8081
ENTRYPOINT ["java", "@/opt/metasrv/jvm.options", "-jar", "/opt/metasrv/metasrv.jar"]
CMD ["--help"]
