package io.liandan.tracker;

import java.util.LinkedHashMap;
import java.util.Map;
import org.jooq.Field;
import org.jooq.impl.DSL;

/** Pieces of {@code INSERT … ON CONFLICT DO UPDATE} that several tables' writes share. */
public final class Upserts {
  private Upserts() {}

  /**
   * {@code SET c = excluded.c} for each of {@code columns}, in order: the conflicting row takes the
   * proposed row's values (for {@code doUpdate().set(Map)}).
   */
  public static Map<Field<?>, Field<?>> fromExcluded(Field<?>... columns) {
    Map<Field<?>, Field<?>> set = new LinkedHashMap<>();
    for (Field<?> c : columns) {
      set.put(c, DSL.excluded(c));
    }
    return set;
  }
}
