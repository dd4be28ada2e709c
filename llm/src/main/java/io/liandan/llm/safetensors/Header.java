// Parsing and encoding of the JSON header of a safetensors file.
package io.liandan.llm.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A parsed header: tensors in the order the header lists them, and the free-form metadata. */
record Header(Map<String, TensorInfo> tensors, Map<String, String> metadata) {
  static final String METADATA = "__metadata__";

  // The reference implementation refuses larger headers; so do we, before allocating them.
  static final long MAX_HEADER_BYTES = 100_000_000L;

  static final ObjectMapper JSON =
      JsonMapper.builder()
          // A duplicated tensor name would silently shadow the first; treat it as corruption.
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  /**
   * Parses and validates {@code json}, the header of {@code file}.
   *
   * @param dataStart absolute position of the data section (8 + header length)
   * @param fileSize size of the whole file, to check every tensor lies inside it
   */
  static Header parse(Path file, byte[] json, long dataStart, long fileSize) {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new CheckpointException(file, "header is not valid JSON: " + e.getOriginalMessage(), e);
    } catch (java.io.IOException e) {
      throw new CheckpointException(file, "header is not valid JSON: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new CheckpointException(file, "header is not a JSON object");
    }
    Map<String, TensorInfo> tensors = new LinkedHashMap<>();
    Map<String, String> metadata = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : root.properties()) {
      if (e.getKey().equals(METADATA)) {
        parseMetadata(file, e.getValue(), metadata);
      } else {
        tensors.put(e.getKey(), parseTensor(file, e.getKey(), e.getValue(), dataStart, fileSize));
      }
    }
    return new Header(Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
  }

  private static void parseMetadata(Path file, JsonNode node, Map<String, String> out) {
    if (node.isNull()) return;
    if (!node.isObject()) {
      throw new CheckpointException(file, "__metadata__ is not a JSON object");
    }
    for (Map.Entry<String, JsonNode> m : node.properties()) {
      if (!m.getValue().isTextual()) {
        throw new CheckpointException(
            file, "__metadata__ value of '" + m.getKey() + "' is not a string: " + m.getValue());
      }
      out.put(m.getKey(), m.getValue().textValue());
    }
  }

  private static TensorInfo parseTensor(
      Path file, String name, JsonNode node, long dataStart, long fileSize) {
    String where = "tensor '" + name + "' ";
    if (!node.isObject()) {
      throw new CheckpointException(file, where + "is not described by a JSON object");
    }
    JsonNode dt = node.get("dtype");
    if (dt == null || !dt.isTextual()) {
      throw new CheckpointException(file, where + "has no dtype string");
    }
    Dtype dtype;
    try {
      dtype = Dtype.parse(dt.textValue());
    } catch (IllegalArgumentException e) {
      throw new CheckpointException(
          file,
          where
              + "has dtype "
              + dt.textValue()
              + " that Liandan cannot read (it reads "
              + Arrays.toString(Dtype.values())
              + ")");
    }
    long[] shape = longs(file, where, node.get("shape"), "shape", -1);
    long[] offsets = longs(file, where, node.get("data_offsets"), "data_offsets", 2);
    long begin = offsets[0];
    long end = offsets[1];
    if (end < begin) {
      throw new CheckpointException(
          file, where + "has data_offsets [" + begin + ", " + end + "] that end before they begin");
    }
    long needed;
    try {
      needed = Math.multiplyExact(TensorInfo.numel(shape), dtype.bytes());
    } catch (ArithmeticException e) {
      throw new CheckpointException(
          file, where + "has shape " + Arrays.toString(shape) + " too large to address");
    }
    if (needed != end - begin) {
      throw new CheckpointException(
          file,
          where
              + "shape "
              + Arrays.toString(shape)
              + " needs "
              + needed
              + " bytes but data_offsets give "
              + (end - begin));
    }
    // Overflow here would mean end is near 2^63, far beyond any real file: report it as truncation.
    long absEnd = dataStart + end < 0 ? Long.MAX_VALUE : dataStart + end;
    if (absEnd > fileSize) {
      throw new CheckpointException(
          file, "truncated: " + where + "ends at byte " + absEnd + " but the file has " + fileSize);
    }
    return new TensorInfo(name, dtype, shape, begin, end);
  }

  /** A JSON array of non-negative integers; {@code size} -1 for any length. */
  private static long[] longs(Path file, String where, JsonNode node, String field, int size) {
    if (node == null || !node.isArray() || (size >= 0 && node.size() != size)) {
      throw new CheckpointException(
          file,
          where
              + "has "
              + field
              + " "
              + node
              + ", expected "
              + (size >= 0 ? "an array of " + size + " integers" : "an array of integers"));
    }
    long[] out = new long[node.size()];
    for (int i = 0; i < out.length; i++) {
      JsonNode v = node.get(i);
      if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
        throw new CheckpointException(
            file, where + "has " + field + " " + node + " with an entry that is not a count");
      }
      out[i] = v.longValue();
    }
    return out;
  }

  /**
   * The header bytes for {@code tensors} (whose offsets are already assigned), padded with spaces
   * so that the data section starts on an 8-byte boundary, as the reference writer does.
   */
  static byte[] encode(Map<String, String> metadata, Collection<TensorInfo> tensors) {
    Map<String, Object> root = new LinkedHashMap<>();
    if (!metadata.isEmpty()) root.put(METADATA, metadata);
    for (TensorInfo t : tensors) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("dtype", t.dtype().name());
      e.put("shape", t.shape());
      e.put("data_offsets", List.of(t.begin(), t.end()));
      root.put(t.name(), e);
    }
    byte[] json;
    try {
      json = JSON.writeValueAsBytes(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode a safetensors header", e);
    }
    int padded = (json.length + 7) / 8 * 8;
    byte[] out = Arrays.copyOf(json, padded);
    Arrays.fill(out, json.length, padded, (byte) ' ');
    return out;
  }
}
