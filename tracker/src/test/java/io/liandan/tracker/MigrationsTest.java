package io.liandan.tracker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import java.util.List;
import org.jooq.DSLContext;
import org.junit.jupiter.api.Test;

class MigrationsTest {
  @Test
  void migratesAnEmptyDatabaseAndIsIdempotent() {
    try (HikariDataSource ds = new HikariDataSource()) {
      ds.setJdbcUrl(TestPostgres.newDatabase());
      TrackerServer.migrate(ds);
      TrackerServer.migrate(ds);
      DSLContext db = TrackerServer.dsl(ds);
      List<String> tables =
          strings(
              db,
              "select table_name from information_schema.tables"
                  + " where table_schema = 'public' order by table_name");
      assertEquals(
          List.of(
              "api_tokens",
              "artifact_usages",
              "artifacts",
              "flyway_schema_history",
              "metric_points",
              "metric_rollups",
              "metric_summaries",
              "projects",
              "runs",
              "sample_rows"),
          tables);
      List<String> constraints =
          strings(
              db,
              "select conname from pg_constraint c join pg_namespace n on n.oid = c.connamespace"
                  + " where n.nspname = 'public'");
      for (String named :
          new String[] {
            "runs_pk",
            "runs_project_key_uq",
            "runs_state_ck",
            "metric_points_pk",
            "metric_summaries_run_fk",
            "artifacts_producer_name_uq",
            "api_tokens_sha256_uq",
            "runs_labels_ck",
            "metric_rollups_pk"
          }) {
        assertTrue(constraints.contains(named), named + " in " + constraints);
      }
      assertEquals(
          4L,
          db.fetchValue("select count(*) from flyway_schema_history where success"),
          "V1 to V4, once each");
    }
  }

  /** The first column of {@code sql}'s rows, as strings. */
  private static List<String> strings(DSLContext db, String sql) {
    return db.fetchValues(sql).stream().map(Object::toString).toList();
  }
}
