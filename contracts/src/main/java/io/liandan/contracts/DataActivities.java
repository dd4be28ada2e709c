package io.liandan.contracts;

import com.fasterxml.jackson.databind.JsonNode;
import io.temporal.activity.ActivityInterface;
import java.util.List;

/** The CPU stages: download (and content keys), format, tokenize, merge. */
@ActivityInterface
public interface DataActivities {
  /**
   * The local files a spec names that do not exist on this worker, as problems (relative paths are
   * read against its working folder, and say so): the workflow adds them to the spec's other
   * problems, so a spec sent by {@code temporal workflow start} is reported whole before any stage.
   */
  List<String> missingFiles(JsonNode spec);

  Prepared download(PrepareRequest request);

  StageResult format(FormatPayload payload);

  StageResult tokenize(TokenizePayload payload);

  StageResult merge(MergePayload payload);
}
