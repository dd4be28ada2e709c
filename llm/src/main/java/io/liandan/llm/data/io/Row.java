package io.liandan.llm.data.io;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.liandan.llm.data.Origin;

/**
 * One dataset row as a JSON object, whatever the file type: a JSONL line, a JSON array element, a
 * Parquet row (nested lists and structs become arrays and objects, absent values null).
 */
public record Row(ObjectNode fields, Origin origin) {}
