package io.liandan.tracker.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded PostgreSQL is private and durable: a connection without the home's password is
 * refused (on a new data folder and on one of an earlier version that trusted everyone), the
 * password file is the owner's alone, and commits are synchronous with fsync on.
 */
class EmbeddedDatabaseTest {
  @TempDir Path home;

  @Test
  void aNewDataFolderRefusesConnectionsWithoutThePassword() throws Exception {
    try (EmbeddedDatabase db = EmbeddedDatabase.start(home.resolve("postgres"))) {
      assertRefusedWithoutPassword(db);
      // found by its command line as well as by its pid file (an orphan may not have one yet)
      assertEquals(
          db.postmaster().orElseThrow(),
          Postmaster.byCommandLine(home.resolve("postgres")).orElseThrow());
      assertTrue(
          Files.readString(home.resolve("postgres.log")).contains("ready to accept connections"));
      Path pw = home.resolve("db-password");
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(pw)));
      try (Connection c = connect(db.port(), db.endpoint().password());
          Statement s = c.createStatement()) {
        assertEquals("on", show(s, "fsync"));
        assertEquals("on", show(s, "synchronous_commit"));
      }
    }
  }

  @Test
  void aTrustingDataFolderOfAnEarlierVersionIsMigrated() throws Exception {
    Path data = home.resolve("postgres");
    // what earlier versions made: zonky's defaults, trust for every local connection
    try (EmbeddedPostgres old =
        EmbeddedPostgres.builder().setDataDirectory(data).setCleanDataDirectory(false).start()) {
      try (Connection c = connect(old.getPort(), null);
          Statement s = c.createStatement()) {
        s.execute("CREATE TABLE kept (x int)");
      }
    }
    try (EmbeddedDatabase db = EmbeddedDatabase.start(data)) {
      assertRefusedWithoutPassword(db);
      try (Connection c = connect(db.port(), db.endpoint().password());
          Statement s = c.createStatement()) {
        s.execute("SELECT count(*) FROM kept"); // the old data is still there
      }
    }
    // and after a restart of the migrated folder too
    try (EmbeddedDatabase db = EmbeddedDatabase.start(data)) {
      assertRefusedWithoutPassword(db);
      connect(db.port(), db.endpoint().password()).close();
    }
  }

  /**
   * After a SIGKILL of the postmaster and of the process that owned it, a backend busy with a query
   * lives on, attached to the old shared memory, until the query ends; a new start in that window
   * must wait for it instead of failing ("pre-existing shared memory block is still in use", then
   * zonky's "Gave up waiting for server to start").
   */
  @Test
  void aStartAfterBothWereKilledWaitsForTheOldBackends() throws Exception {
    Path data = home.resolve("postgres");
    EmbeddedDatabase first = EmbeddedDatabase.start(data);
    Postmaster pm = first.postmaster().orElseThrow();
    Connection busy = connect(first.port(), first.endpoint().password());
    Thread query =
        new Thread(
            () -> {
              try (Statement s = busy.createStatement()) {
                // CPU-bound for 4 s whatever the machine's speed (a fixed row count ran out
                // before the kill on a quiet machine): a backend notices its postmaster's death
                // only when it waits
                s.execute(
                    "DO $$ BEGIN WHILE clock_timestamp() < statement_timestamp()"
                        + " + interval '4 seconds' LOOP END LOOP; END $$");
              } catch (SQLException endsEitherWay) {
                // the backend may be gone by the time it would answer
              }
            });
    query.start();
    Thread.sleep(500); // the query is running
    ProcessHandle.of(pm.pid()).orElseThrow().destroyForcibly();
    first.close(); // what the owner's death does: zonky's lock released, nothing stopped
    long attached = Postmaster.sharedMemoryId(data).map(Postmaster::attachments).orElse(0);
    assertTrue(attached > 0, "the busy backend still holds the old shared memory");

    try (EmbeddedDatabase second = EmbeddedDatabase.start(data);
        Connection c = connect(second.port(), second.endpoint().password());
        Statement s = c.createStatement()) {
      assertEquals("on", show(s, "fsync"));
    } finally {
      query.join(60_000);
      busy.close();
    }
  }

  private static void assertRefusedWithoutPassword(EmbeddedDatabase db) {
    SQLException none = assertThrows(SQLException.class, () -> connect(db.port(), null).close());
    assertTrue(none.getMessage().contains("password"), "refused for want of a password: " + none);
    SQLException wrong =
        assertThrows(SQLException.class, () -> connect(db.port(), "not-the-password").close());
    assertEquals("28P01", wrong.getSQLState(), wrong.toString()); // invalid_password
  }

  private static Connection connect(int port, String password) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", "postgres");
    if (password != null) {
      p.setProperty("password", password);
    }
    return DriverManager.getConnection("jdbc:postgresql://localhost:" + port + "/postgres", p);
  }

  private static String show(Statement s, String setting) throws SQLException {
    try (ResultSet r = s.executeQuery("SHOW " + setting)) {
      r.next();
      return r.getString(1);
    }
  }
}
