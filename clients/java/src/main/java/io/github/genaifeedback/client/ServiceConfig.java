package io.github.genaifeedback.client;

import com.google.gson.Gson;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The gRPC service config shipped with this client ({@code service_config.json}, a copy of the
 * project's {@code clients/service_config.json}): per-method timeouts and the retry policy
 * (UNAVAILABLE retried on FeedbackService, which is safe because a retry resends the same
 * request_id).
 */
public final class ServiceConfig {

  /** Where the config lies on the classpath. */
  public static final String RESOURCE = "service_config.json";

  private ServiceConfig() {}

  /**
   * The service config as the map {@code ManagedChannelBuilder.defaultServiceConfig} takes (JSON
   * numbers as {@code Double}, as gRPC expects). Use it with {@code enableRetry()} when building
   * a channel yourself.
   */
  public static Map<String, ?> load() {
    try (InputStream in = ServiceConfig.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is missing from the classpath");
      }
      try (Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8)) {
        @SuppressWarnings("unchecked")
        Map<String, ?> config = new Gson().fromJson(reader, Map.class);
        return config;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
  }
}
