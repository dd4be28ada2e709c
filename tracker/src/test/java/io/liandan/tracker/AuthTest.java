package io.liandan.tracker;

import static io.liandan.tracker.db.Tables.API_TOKENS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liandan.tracker.Api.Response;
import io.liandan.tracker.auth.TokenService;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class AuthTest {
  @Test
  void writesNeedAValidTokenReadsAreOpenByDefault() {
    try (TestServer t = TestServer.start()) {
      Api anonymous = t.api.withToken(null);
      Response r = anonymous.post("/api/v1/runs", "{\"project\":\"auth\"}");
      assertEquals(401, r.status());
      assertEquals("Authorization", r.field());
      assertTrue(r.error().contains("Bearer"), r.error());

      Response wrong =
          t.api.withToken("ldn_not-a-token").post("/api/v1/runs", "{\"project\":\"auth\"}");
      assertEquals(401, wrong.status());
      assertEquals("unknown or revoked token", wrong.error());

      long id = t.api.createRun("{\"project\":\"auth\"}");
      assertEquals(401, anonymous.patch("/api/v1/runs/" + id, "{}").status());
      assertEquals(
          401, anonymous.post("/api/v1/runs/" + id + "/metrics", "{\"points\":[]}").status());
      assertEquals(200, anonymous.get("/api/v1/runs/" + id).status());
      assertEquals(200, anonymous.get("/api/v1/projects").status());
    }
  }

  @Test
  void readsCanRequireATokenToo() {
    try (TestServer t = TestServer.start(true, Duration.ofMinutes(5))) {
      assertEquals(401, t.api.withToken(null).get("/api/v1/projects").status());
      assertEquals(200, t.api.get("/api/v1/projects").status());
    }
  }

  static String sha256Hex(String s) throws Exception {
    return java.util.HexFormat.of()
        .formatHex(
            java.security.MessageDigest.getInstance("SHA-256")
                .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  }

  @Test
  void tokensAreStoredHashedAndCanBeRevoked() throws Exception {
    try (TestServer t = TestServer.start()) {
      TokenService tokens = t.server.tokens();
      TokenService.CreatedToken created = tokens.create("ci");
      assertTrue(created.token().startsWith("ldn_"));
      assertFalse(
          t.server.db().fetchExists(API_TOKENS, API_TOKENS.TOKEN_SHA256.eq(created.token())));
      assertEquals(
          1,
          t.server
              .db()
              .fetchCount(API_TOKENS, API_TOKENS.TOKEN_SHA256.eq(sha256Hex(created.token()))));
      Api ci = t.api.withToken(created.token());
      assertEquals(201, ci.post("/api/v1/runs", "{\"project\":\"auth\"}").status());
      assertTrue(tokens.revoke(created.id()));
      assertEquals(401, ci.post("/api/v1/runs", "{\"project\":\"auth\"}").status());
    }
  }
}
