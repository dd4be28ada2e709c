package io.liandan.tracker.web;

import java.net.ConnectException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.Set;

/**
 * Whether a failure means "the database is not reachable right now" (a retry later will work),
 * which the API answers with 503 and Retry-After rather than 500: no pooled connection within the
 * pool's timeout, a broken or refused connection (SQLSTATE class 08), or PostgreSQL shutting down
 * or recovering after a crash (57P01–57P03).
 */
public final class DatabaseDown {
  public static final int RETRY_AFTER_SECONDS = 1;
  private static final Set<String> STATES = Set.of("57P01", "57P02", "57P03");

  private DatabaseDown() {}

  public static boolean is(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof SQLTransientConnectionException || t instanceof ConnectException) {
        return true;
      }
      if (t instanceof SQLException sql && sql.getSQLState() != null) {
        String state = sql.getSQLState();
        if (state.startsWith("08") || STATES.contains(state)) {
          return true;
        }
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }
}
