package io.liandan.tracker.auth;

import static io.liandan.tracker.db.Tables.API_TOKENS;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.OffsetDateTime;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jooq.DSLContext;
import org.jooq.Records;
import org.jooq.impl.DSL;

/**
 * API tokens. Only a token's SHA-256 is stored; {@link #create} returns the plaintext once. Valid
 * tokens are remembered for {@link #CACHE_NANOS} (1 s) so that a burst of metrics batches costs one
 * query per second and token; a revocation takes effect at once in the process that revokes and
 * within that second in every other server on the same database (e.g. after {@code liandan token
 * revoke}, which writes to the database directly).
 */
public final class TokenService {
  public static final long CACHE_NANOS = 1_000_000_000L;
  private static final String PREFIX = "ldn_";

  public record CreatedToken(long id, String name, String token) {}

  public record TokenInfo(
      long id, String name, OffsetDateTime createdAt, OffsetDateTime revokedAt) {}

  private final DSLContext db;
  private final SecureRandom random = new SecureRandom();
  private final Map<String, Long> validUntil = new ConcurrentHashMap<>();

  public TokenService(DSLContext db) {
    this.db = db;
  }

  /** A new token named {@code name}; the returned plaintext is not stored anywhere. */
  public CreatedToken create(String name) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("a token needs a name");
    }
    byte[] secret = new byte[32];
    random.nextBytes(secret);
    String token = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    long id =
        db.insertInto(API_TOKENS, API_TOKENS.NAME, API_TOKENS.TOKEN_SHA256)
            .values(name.strip(), sha256(token))
            .returning(API_TOKENS.ID)
            .fetchOne(API_TOKENS.ID);
    return new CreatedToken(id, name.strip(), token);
  }

  public boolean isValid(String token) {
    if (token == null || token.isEmpty() || token.length() > 512) {
      return false;
    }
    String hash = sha256(token);
    Long until = validUntil.get(hash);
    long now = System.nanoTime();
    if (until != null && until - now > 0) {
      return true;
    }
    boolean valid =
        db.fetchExists(
            API_TOKENS, API_TOKENS.TOKEN_SHA256.eq(hash).and(API_TOKENS.REVOKED_AT.isNull()));
    if (valid) {
      validUntil.put(hash, now + CACHE_NANOS);
    } else {
      validUntil.remove(hash);
    }
    return valid;
  }

  /** Revokes a token; true if it existed and was active. */
  public boolean revoke(long id) {
    validUntil.clear();
    return db.update(API_TOKENS)
            .set(API_TOKENS.REVOKED_AT, DSL.currentOffsetDateTime())
            .where(API_TOKENS.ID.eq(id).and(API_TOKENS.REVOKED_AT.isNull()))
            .execute()
        == 1;
  }

  /** Revokes every active token named {@code name}; how many there were. */
  public int revoke(String name) {
    validUntil.clear();
    return db.update(API_TOKENS)
        .set(API_TOKENS.REVOKED_AT, DSL.currentOffsetDateTime())
        .where(API_TOKENS.NAME.eq(name).and(API_TOKENS.REVOKED_AT.isNull()))
        .execute();
  }

  public List<TokenInfo> list() {
    return db.select(API_TOKENS.ID, API_TOKENS.NAME, API_TOKENS.CREATED_AT, API_TOKENS.REVOKED_AT)
        .from(API_TOKENS)
        .orderBy(API_TOKENS.ID)
        .fetch(Records.mapping(TokenInfo::new));
  }

  static String sha256(String token) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(md.digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
