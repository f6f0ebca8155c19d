package io.metasrv.ddl;

import io.metasrv.heartbeat.instruction.CacheIdent;
import java.util.List;

/**
 * Tells frontends, datanodes and flownodes to drop cached metadata: the {@code InvalidateCaches}
 * broadcast of {@link io.metasrv.heartbeat.CacheInvalidator}.
 */
@FunctionalInterface
public interface CacheInvalidation {
  void invalidate(List<CacheIdent> caches);
}
