package io.liandan.activities;

import io.liandan.contracts.EvalPayload;
import io.liandan.contracts.StageRef;
import io.liandan.contracts.StageResult;
import io.liandan.contracts.TrainActivities;
import io.liandan.contracts.TrainPayload;
import io.liandan.llm.stage.EvalResult;
import io.liandan.llm.stage.EvalStage;
import io.liandan.llm.stage.TrainResult;
import io.liandan.llm.stage.TrainStage;
import io.liandan.spec.EvalRequest;
import io.liandan.spec.TrainRequest;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model stages: llm's TrainStage and EvalStage with a listener that heartbeats every step and
 * logs to the stage's tracker run (and a background heartbeat with the same details through the
 * quiet phases: loading, evaluating, saving). A retried attempt gets the same folder, so TrainStage
 * resumes from its newest checkpoint there (exactly: same weights, same curve).
 */
public final class TrainActivitiesImpl implements TrainActivities {
  private static final Logger log = LoggerFactory.getLogger(TrainActivitiesImpl.class);
  private final StageRunner runner;

  public TrainActivitiesImpl(StageRunner runner) {
    this.runner = runner;
  }

  @Override
  public StageResult train(TrainPayload p) {
    StageRef stage = p.stage();
    return runner.run(
        stage,
        StageRunner.map(p.request().args().toJson()),
        true,
        (dir, run, ctx) -> {
          if (ctx.getInfo().getAttempt() > 1) {
            var last = ctx.getHeartbeatDetails(ProgressReporter.Beat.class);
            log.info(
                "{} attempt {}: the last attempt reached {}",
                stage.runKey(),
                ctx.getInfo().getAttempt(),
                last.map(Object::toString).orElse("no heartbeat"));
          }
          ProgressReporter listener = runner.reporter(stage, run, ctx);
          TrainRequest req = p.request().withOut(dir.toString());
          TrainResult t =
              StageRunner.heartbeating(
                  ctx, listener::last, () -> new TrainStage().run(req, listener));
          run.summary(Map.of("resumed_from_step", t.resumedFromStep(), "steps", t.steps()));
          return new StageRunner.Output(
              null, t.next(), t.steps(), t.resumedFromStep(), t.metrics(), listener.seconds());
        });
  }

  @Override
  public StageResult eval(EvalPayload p) {
    return runner.run(
        p.stage(),
        StageRunner.map(p.request().args().toJson()),
        (dir, run, ctx) -> {
          ProgressReporter listener = runner.reporter(p.stage(), run, ctx);
          EvalRequest req = p.request().withOut(dir.toString());
          EvalResult e =
              StageRunner.heartbeating(
                  ctx, listener::last, () -> new EvalStage().run(req, listener));
          run.log(e.metrics(), 0);
          return new StageRunner.Output(null, null, 0, 0, e.metrics(), listener.seconds());
        });
  }
}
