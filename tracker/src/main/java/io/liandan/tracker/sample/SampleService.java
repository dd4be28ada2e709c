package io.liandan.tracker.sample;

import static io.liandan.tracker.db.Tables.RUNS;
import static io.liandan.tracker.db.Tables.SAMPLE_ROWS;

import com.fasterxml.jackson.databind.JsonNode;
import io.liandan.tracker.Limits;
import io.liandan.tracker.db.tables.records.SampleRowsRecord;
import io.liandan.tracker.run.RunService;
import io.liandan.tracker.web.ApiErrors;
import io.liandan.tracker.web.Check;
import io.liandan.tracker.web.Json;
import java.util.List;
import org.jooq.DSLContext;
import org.jooq.InsertValuesStep4;
import org.jooq.JSONB;
import org.jooq.Records;
import org.jooq.impl.DSL;

/**
 * Tables of sample generations: rows of any JSON object under a table name. Rows are appended after
 * the table's last index, or written at {@code offset} (idempotent: a re-sent request rewrites the
 * same rows).
 */
public final class SampleService {
  private final DSLContext db;

  /** {@code POST /api/v1/runs/{id}/samples}. */
  public record SampleBatch(String table, Long step, Integer offset, List<JsonNode> rows) {}

  public record Appended(String table, int firstIndex, int count) {}

  public record Row(int index, Long step, JsonNode data) {}

  public record TableInfo(String name, int rows) {}

  public SampleService(DSLContext db) {
    this.db = db;
  }

  public Appended append(long runId, SampleBatch batch) {
    String table = Check.required("table", batch.table(), Limits.MAX_NAME_LENGTH);
    List<JsonNode> rows = batch.rows();
    if (rows == null || rows.isEmpty()) {
      throw ApiErrors.badRequest("rows", "rows is required and must not be empty");
    }
    if (rows.size() > Limits.MAX_SAMPLE_ROWS) {
      throw ApiErrors.tooLarge(
          "rows", "at most " + Limits.MAX_SAMPLE_ROWS + " rows per request; split it");
    }
    for (int i = 0; i < rows.size(); i++) {
      if (rows.get(i) == null || !rows.get(i).isObject()) {
        throw ApiErrors.badRequest("rows[" + i + "]", "rows[" + i + "] must be a JSON object");
      }
    }
    if (batch.offset() != null && batch.offset() < 0) {
      throw ApiErrors.badRequest("offset", "offset must be 0 or more");
    }
    return db.transactionResult(
        cfg -> {
          DSLContext tx = cfg.dsl();
          // the run's row lock orders concurrent appends to one run
          if (tx.selectOne().from(RUNS).where(RUNS.ID.eq(runId)).forUpdate().fetchOne() == null) {
            throw RunService.notFound(runId);
          }
          int first =
              batch.offset() != null
                  ? batch.offset()
                  : tx.select(DSL.coalesce(DSL.max(SAMPLE_ROWS.ROW_INDEX).plus(1), 0))
                      .from(SAMPLE_ROWS)
                      .where(SAMPLE_ROWS.RUN_ID.eq(runId).and(SAMPLE_ROWS.TABLE_NAME.eq(table)))
                      .fetchSingle()
                      .value1();
          InsertValuesStep4<SampleRowsRecord, Long, String, Integer, JSONB> insert =
              tx.insertInto(
                  SAMPLE_ROWS,
                  SAMPLE_ROWS.RUN_ID,
                  SAMPLE_ROWS.TABLE_NAME,
                  SAMPLE_ROWS.ROW_INDEX,
                  SAMPLE_ROWS.DATA);
          for (int i = 0; i < rows.size(); i++) {
            insert = insert.values(runId, table, first + i, Json.jsonb(rows.get(i)));
          }
          insert
              .onConflictOnConstraint(io.liandan.tracker.db.Keys.SAMPLE_ROWS_PK)
              .doUpdate()
              .set(SAMPLE_ROWS.DATA, DSL.excluded(SAMPLE_ROWS.DATA))
              .execute();
          if (batch.step() != null) {
            tx.update(SAMPLE_ROWS)
                .set(SAMPLE_ROWS.STEP, batch.step())
                .where(SAMPLE_ROWS.RUN_ID.eq(runId))
                .and(SAMPLE_ROWS.TABLE_NAME.eq(table))
                .and(SAMPLE_ROWS.ROW_INDEX.between(first, first + rows.size() - 1))
                .execute();
          }
          return new Appended(table, first, rows.size());
        });
  }

  public List<TableInfo> tables(long runId) {
    requireRun(runId);
    return db.select(SAMPLE_ROWS.TABLE_NAME, DSL.count())
        .from(SAMPLE_ROWS)
        .where(SAMPLE_ROWS.RUN_ID.eq(runId))
        .groupBy(SAMPLE_ROWS.TABLE_NAME)
        .orderBy(SAMPLE_ROWS.TABLE_NAME)
        .fetch(Records.mapping(TableInfo::new));
  }

  public List<Row> rows(long runId, String table, int offset, int limit) {
    requireRun(runId);
    return db.select(SAMPLE_ROWS.ROW_INDEX, SAMPLE_ROWS.STEP, SAMPLE_ROWS.DATA)
        .from(SAMPLE_ROWS)
        .where(SAMPLE_ROWS.RUN_ID.eq(runId).and(SAMPLE_ROWS.TABLE_NAME.eq(table)))
        .orderBy(SAMPLE_ROWS.ROW_INDEX)
        .offset(offset)
        .limit(limit)
        .fetch(r -> new Row(r.value1(), r.value2(), Json.tree(r.value3())));
  }

  private void requireRun(long runId) {
    if (!db.fetchExists(RUNS, RUNS.ID.eq(runId))) {
      throw RunService.notFound(runId);
    }
  }
}
