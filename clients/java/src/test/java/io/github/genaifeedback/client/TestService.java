package io.github.genaifeedback.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The real service and MLflow that {@code scripts/with_service.py} started for the tests, named by
 * its environment variables, and what MLflow stored, read through MLflow's REST API.
 */
final class TestService {

  static final String ADDRESS = required("GENAIFEEDBACK_ADDRESS");
  static final String MLFLOW_URL = required("GENAIFEEDBACK_MLFLOW_URL");
  static final String EXPERIMENT_ID = required("GENAIFEEDBACK_EXPERIMENT_ID");

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  private TestService() {}

  private static String required(String name) {
    String value = System.getenv(name);
    if (value == null || value.isEmpty()) {
      throw new IllegalStateException(
          name
              + " is not set: run the tests through the harness, from the repository root:"
              + " .venv/bin/python scripts/with_service.py -- mvn -f clients/java/pom.xml test"
              + " (or make -C clients/java test)");
    }
    return value;
  }

  /** {@code GET /api/3.0/mlflow/traces/{trace_id}}: the trace's {@code trace_info}. */
  static JsonObject traceInfo(String traceId) {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(MLFLOW_URL + "/api/3.0/mlflow/traces/" + traceId))
            .timeout(Duration.ofSeconds(30))
            .GET()
            .build();
    HttpResponse<String> response;
    try {
      response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new AssertionError("MLflow at " + MLFLOW_URL + " did not answer", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
    assertEquals(200, response.statusCode(), () -> "MLflow get trace: " + response.body());
    return JsonParser.parseString(response.body())
        .getAsJsonObject()
        .getAsJsonObject("trace")
        .getAsJsonObject("trace_info");
  }

  /** The trace's assessments as MLflow stored them (empty list if none). */
  static List<JsonObject> assessments(String traceId) {
    JsonObject info = traceInfo(traceId);
    List<JsonObject> result = new ArrayList<>();
    JsonArray assessments = info.getAsJsonArray("assessments");
    if (assessments != null) {
      for (JsonElement assessment : assessments) {
        result.add(assessment.getAsJsonObject());
      }
    }
    return result;
  }

  /** The one stored assessment with this id; fails if there is none. */
  static JsonObject assessment(String traceId, String assessmentId) {
    return assessments(traceId).stream()
        .filter(a -> assessmentId.equals(a.get("assessment_id").getAsString()))
        .findFirst()
        .orElseGet(
            () -> fail("MLflow holds no assessment " + assessmentId + " on trace " + traceId));
  }
}
