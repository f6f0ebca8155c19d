package io.metasrv.operator.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/** {@link PodAdminApi} over HTTP, with short timeouts: a hung pod must not stall reconciling. */
public final class HttpPodAdminApi implements PodAdminApi {
  private static final Duration TIMEOUT = Duration.ofSeconds(2);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(TIMEOUT).version(HttpClient.Version.HTTP_1_1).build();

  @Override
  public NodeReport health(URI pod) {
    Optional<HttpResponse<String>> response = send(get(pod, "/health"));
    if (response.isEmpty()) {
      return NodeReport.unreachable();
    }
    try {
      JsonNode body = JSON.readTree(response.get().body());
      Role role =
          switch (body.path("status").asText()) {
            case "leader" -> Role.LEADER;
            case "follower" -> Role.FOLLOWER;
            default -> Role.NOT_SERVING;
          };
      JsonNode epoch = body.path("epoch");
      return new NodeReport(
          role, epoch.canConvertToLong() ? Optional.of(epoch.asLong()) : Optional.empty());
    } catch (IOException e) {
      return new NodeReport(Role.NOT_SERVING, Optional.empty());
    }
  }

  @Override
  public Optional<String> leaderAddress(URI pod) {
    return send(get(pod, "/admin/leader"))
        .filter(r -> r.statusCode() == 200)
        .map(r -> r.body().strip())
        .filter(addr -> !addr.isEmpty());
  }

  @Override
  public Optional<Boolean> maintenance(URI pod) {
    return send(get(pod, "/admin/maintenance"))
        .filter(r -> r.statusCode() == 200)
        .flatMap(HttpPodAdminApi::enabledField);
  }

  @Override
  public boolean setMaintenance(URI pod, boolean enabled) throws AdminApiException {
    String path = "/admin/maintenance/" + (enabled ? "enable" : "disable");
    HttpRequest request =
        HttpRequest.newBuilder(pod.resolve(path))
            .timeout(TIMEOUT)
            .POST(HttpRequest.BodyPublishers.noBody())
            .build();
    HttpResponse<String> response =
        send(request).orElseThrow(() -> new AdminApiException(pod + " does not answer"));
    if (response.statusCode() != 200) {
      throw new AdminApiException(
          "POST " + path + " answered " + response.statusCode() + ": " + response.body().strip());
    }
    return enabledField(response)
        .orElseThrow(() -> new AdminApiException("POST " + path + " answered " + response.body()));
  }

  private static Optional<Boolean> enabledField(HttpResponse<String> response) {
    try {
      JsonNode enabled = JSON.readTree(response.body()).path("enabled");
      return enabled.isBoolean() ? Optional.of(enabled.asBoolean()) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static HttpRequest get(URI pod, String path) {
    return HttpRequest.newBuilder(pod.resolve(path)).timeout(TIMEOUT).GET().build();
  }

  private Optional<HttpResponse<String>> send(HttpRequest request) {
    try {
      return Optional.of(http.send(request, HttpResponse.BodyHandlers.ofString()));
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }
}
