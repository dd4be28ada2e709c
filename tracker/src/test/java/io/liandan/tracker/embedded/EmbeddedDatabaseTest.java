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
      Path pw = home.resolve("db-password");
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(pw)));
      try (Connection c = connect(db.port(), db.password());
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
      try (Connection c = connect(db.port(), db.password());
          Statement s = c.createStatement()) {
        s.execute("SELECT count(*) FROM kept"); // the old data is still there
      }
    }
    // and after a restart of the migrated folder too
    try (EmbeddedDatabase db = EmbeddedDatabase.start(data)) {
      assertRefusedWithoutPassword(db);
      connect(db.port(), db.password()).close();
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
