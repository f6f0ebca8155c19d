package io.metasrv.grpc;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Server TLS for the gRPC port.
 *
 * @param certChain PEM certificate chain the server presents
 * @param privateKey PEM private key of that certificate
 * @param clientCa when present, clients must present a certificate signed by this CA
 */
public record GrpcTls(Path certChain, Path privateKey, Optional<Path> clientCa) {}
