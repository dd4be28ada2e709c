package io.liandan.contracts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.TreeMap;

/**
 * Content addresses of stage outputs: a stage's key is the SHA-256 of its kind, its parameters (as
 * canonical JSON: keys sorted) and the keys of its inputs, so equal inputs and settings give the
 * same folder and a changed learning rate a new one. A pure function: the workflow computes keys
 * itself, deterministically.
 */
public final class StageKeys {
  /** Bumped when the meaning of an artifact folder changes, so old folders are not reused. */
  static final String VERSION = "liandan-stage-v1";

  private static final ObjectMapper JSON = new ObjectMapper();

  private StageKeys() {}

  /** The first 16 hex digits (64 bits) of the hash: the folder name's suffix. */
  public static String key(String kind, Object params, String... inputKeys) {
    StringBuilder s = new StringBuilder(VERSION).append('\n').append(kind).append('\n');
    s.append(canonical(JSON.valueToTree(params)));
    for (String in : inputKeys) s.append('\n').append(in);
    return sha256(s.toString()).substring(0, 16);
  }

  public static String sha256(String text) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(md.digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** JSON text with object keys sorted at every level. */
  static String canonical(JsonNode node) {
    return sorted(node).toString();
  }

  private static JsonNode sorted(JsonNode node) {
    if (node instanceof ObjectNode o) {
      TreeMap<String, JsonNode> m = new TreeMap<>();
      for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
        String k = it.next();
        m.put(k, sorted(o.get(k)));
      }
      ObjectNode out = JSON.createObjectNode();
      m.forEach(out::set);
      return out;
    }
    if (node instanceof ArrayNode a) {
      ArrayNode out = JSON.createArrayNode();
      a.forEach(e -> out.add(sorted(e)));
      return out;
    }
    return node;
  }
}
