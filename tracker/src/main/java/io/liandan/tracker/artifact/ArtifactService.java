package io.liandan.tracker.artifact;

import static io.liandan.tracker.db.Tables.ARTIFACTS;
import static io.liandan.tracker.db.Tables.ARTIFACT_USAGES;
import static io.liandan.tracker.db.Tables.RUNS;

import com.fasterxml.jackson.databind.JsonNode;
import io.liandan.tracker.Limits;
import io.liandan.tracker.Upserts;
import io.liandan.tracker.db.Keys;
import io.liandan.tracker.run.RunService;
import io.liandan.tracker.web.ApiErrors;
import io.liandan.tracker.web.Check;
import io.liandan.tracker.web.Json;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Record1;
import org.jooq.SelectField;
import org.jooq.impl.DSL;

/**
 * Artifacts with lineage. A run logs what it produced (logging the same name again updates it) and
 * records what it used; an artifact knows its producer and its users.
 */
public final class ArtifactService {
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  private final DSLContext db;

  /** {@code POST /api/v1/runs/{id}/artifacts}. */
  public record LogArtifact(
      String name, String type, String uri, String sha256, Long size, JsonNode metadata) {}

  /** {@code POST /api/v1/runs/{id}/artifacts/used}: by id, or the newest artifact at a URI. */
  public record UseArtifact(Long artifactId, String uri) {}

  public record Logged(Artifact artifact, boolean created) {}

  public record Lineage(Artifact artifact, List<Long> usedBy) {}

  public record RunArtifacts(long runId, List<Artifact> produced, List<Artifact> used) {}

  public ArtifactService(DSLContext db) {
    this.db = db;
  }

  public Logged log(long runId, LogArtifact req) {
    String name = Check.required("name", req.name(), Limits.MAX_NAME_LENGTH);
    String type = Check.required("type", req.type(), Limits.MAX_NAME_LENGTH);
    String uri = Check.required("uri", req.uri(), 4096);
    String sha = req.sha256() == null ? null : req.sha256().strip().toLowerCase(Locale.ROOT);
    if (sha != null && !SHA256.matcher(sha).matches()) {
      throw ApiErrors.badRequest("sha256", "sha256 must be 64 hex digits");
    }
    if (req.size() != null && req.size() < 0) {
      throw ApiErrors.badRequest("size", "size must be 0 or more");
    }
    JsonNode metadata = Check.object("metadata", req.metadata());
    if (!db.fetchExists(RUNS, RUNS.ID.eq(runId))) {
      throw RunService.notFound(runId);
    }
    var r =
        db.insertInto(ARTIFACTS)
            .set(ARTIFACTS.NAME, name)
            .set(ARTIFACTS.TYPE, type)
            .set(ARTIFACTS.URI, uri)
            .set(ARTIFACTS.SHA256, sha)
            .set(ARTIFACTS.SIZE_BYTES, req.size())
            .set(
                ARTIFACTS.METADATA,
                metadata == null
                    ? DSL.inline(Json.jsonb(Json.MAPPER.createObjectNode()))
                    : DSL.val(Json.jsonb(metadata)))
            .set(ARTIFACTS.PRODUCER_RUN_ID, runId)
            .onConflictOnConstraint(Keys.ARTIFACTS_PRODUCER_NAME_UQ)
            .doUpdate()
            .set(
                Upserts.fromExcluded(
                    ARTIFACTS.TYPE,
                    ARTIFACTS.URI,
                    ARTIFACTS.SHA256,
                    ARTIFACTS.SIZE_BYTES,
                    ARTIFACTS.METADATA))
            .returningResult(ARTIFACTS.ID, DSL.field("xmax = 0", Boolean.class))
            .fetchOne();
    return new Logged(get(r.value1()), r.value2());
  }

  public Artifact use(long runId, UseArtifact req) {
    if (!db.fetchExists(RUNS, RUNS.ID.eq(runId))) {
      throw RunService.notFound(runId);
    }
    Artifact a;
    if (req.artifactId() != null) {
      a = find(ARTIFACTS.ID.eq(req.artifactId()));
      if (a == null) {
        throw ApiErrors.notFound("artifactId", "no artifact with id " + req.artifactId());
      }
    } else if (req.uri() != null) {
      a = find(ARTIFACTS.URI.eq(req.uri()));
      if (a == null) {
        throw ApiErrors.notFound("uri", "no artifact at " + req.uri());
      }
    } else {
      throw ApiErrors.badRequest("artifactId", "give artifactId or uri");
    }
    db.insertInto(ARTIFACT_USAGES, ARTIFACT_USAGES.ARTIFACT_ID, ARTIFACT_USAGES.RUN_ID)
        .values(a.id(), runId)
        .onConflictDoNothing()
        .execute();
    return a;
  }

  public Lineage lineage(long artifactId) {
    return new Lineage(
        get(artifactId),
        db.select(ARTIFACT_USAGES.RUN_ID)
            .from(ARTIFACT_USAGES)
            .where(ARTIFACT_USAGES.ARTIFACT_ID.eq(artifactId))
            .orderBy(ARTIFACT_USAGES.RUN_ID)
            .fetch(ARTIFACT_USAGES.RUN_ID));
  }

  public RunArtifacts ofRun(long runId) {
    if (!db.fetchExists(RUNS, RUNS.ID.eq(runId))) {
      throw RunService.notFound(runId);
    }
    List<Artifact> produced =
        db.select(ARTIFACT)
            .from(ARTIFACTS)
            .where(ARTIFACTS.PRODUCER_RUN_ID.eq(runId))
            .orderBy(ARTIFACTS.ID)
            .fetch(Record1::value1);
    List<Artifact> used =
        db.select(ARTIFACT)
            .from(ARTIFACTS)
            .join(ARTIFACT_USAGES)
            .on(ARTIFACT_USAGES.ARTIFACT_ID.eq(ARTIFACTS.ID))
            .where(ARTIFACT_USAGES.RUN_ID.eq(runId))
            .orderBy(ARTIFACTS.ID)
            .fetch(Record1::value1);
    return new RunArtifacts(runId, produced, used);
  }

  public Artifact get(long id) {
    Artifact a = find(ARTIFACTS.ID.eq(id));
    if (a == null) {
      throw ApiErrors.notFound("id", "no artifact with id " + id);
    }
    return a;
  }

  private Artifact find(Condition c) {
    return db.select(ARTIFACT)
        .from(ARTIFACTS)
        .where(c)
        .orderBy(ARTIFACTS.ID.desc())
        .limit(1)
        .fetchOne(Record1::value1);
  }

  /** An artifact as its columns are selected and mapped: one place names them, in order. */
  private static final SelectField<Artifact> ARTIFACT =
      DSL.row(
              ARTIFACTS.ID,
              ARTIFACTS.NAME,
              ARTIFACTS.TYPE,
              ARTIFACTS.URI,
              ARTIFACTS.SHA256,
              ARTIFACTS.SIZE_BYTES,
              ARTIFACTS.METADATA.convertFrom(Json::tree),
              ARTIFACTS.PRODUCER_RUN_ID,
              ARTIFACTS.CREATED_AT)
          .mapping(Artifact::new);
}
