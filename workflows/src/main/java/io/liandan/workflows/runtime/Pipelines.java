package io.liandan.workflows.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.liandan.contracts.ArtifactStore;
import io.liandan.workflows.PipelineResult;
import io.liandan.workflows.PipelineStatus;
import io.liandan.workflows.PipelineWorkflow;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.api.workflowservice.v1.GetClusterInfoRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.util.Optional;

/**
 * The client side of pipelines, for the CLI and tests: connect, start (the spec stored under the
 * home first, so {@code resume} can re-run it), query, cancel, wait.
 *
 * @param client the Temporal client the pipelines run through
 * @param store the home's artifact store, where each pipeline's spec is kept
 */
public record Pipelines(WorkflowClient client, ArtifactStore store) {
  /** A client on the Temporal frontend at {@code target} (host:port). */
  public static WorkflowClient connect(String target, String namespace) {
    WorkflowServiceStubs service =
        WorkflowServiceStubs.newServiceStubs(
            WorkflowServiceStubsOptions.newBuilder().setTarget(target).build());
    return WorkflowClient.newInstance(
        service, WorkflowClientOptions.newBuilder().setNamespace(namespace).build());
  }

  /**
   * Whether {@code client} talks to temporal-test-server (in memory), which lacks GetClusterInfo —
   * and list, reset, and the fallback from a dead worker's sticky queue — rather than a real
   * server.
   */
  public static boolean isTestServer(WorkflowClient client) {
    try {
      client
          .getWorkflowServiceStubs()
          .blockingStub()
          .withDeadlineAfter(10, java.util.concurrent.TimeUnit.SECONDS)
          .getClusterInfo(GetClusterInfoRequest.getDefaultInstance());
      return false;
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.UNIMPLEMENTED) return true;
      throw e;
    }
  }

  /** Starts pipeline {@code id} on {@code queue}; an earlier closed run of the same id is fine. */
  public String start(String id, JsonNode spec, String queue) {
    store.saveSpec(id, spec);
    PipelineWorkflow wf =
        client.newWorkflowStub(
            PipelineWorkflow.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(id)
                .setTaskQueue(queue)
                .setWorkflowIdReusePolicy(
                    WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE)
                .build());
    WorkflowClient.start(wf::run, spec);
    return id;
  }

  /** The stored spec of {@code id} (null if this home never started it). */
  public JsonNode storedSpec(String id) {
    return store.spec(id);
  }

  public PipelineStatus status(String id) {
    return client.newWorkflowStub(PipelineWorkflow.class, id).status();
  }

  public void cancel(String id) {
    client.newUntypedWorkflowStub(id, Optional.empty(), Optional.empty()).cancel();
  }

  /** Waits for the pipeline's end; throws WorkflowFailedException when it failed. */
  public PipelineResult result(String id) {
    return client
        .newUntypedWorkflowStub(id, Optional.empty(), Optional.empty())
        .getResult(PipelineResult.class);
  }

  public WorkflowStub stub(String id) {
    return client.newUntypedWorkflowStub(id, Optional.empty(), Optional.empty());
  }
}
