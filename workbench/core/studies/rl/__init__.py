"""Case study 6: reinforcement learning, an agent that learns while you watch (stable-baselines3 on
gymnasium environments; no Qt here).

    from workbench.core.studies.rl import RLConfig, RLSession
    s = RLSession(RLConfig("CartPole-v1", "PPO"))      # session.py: zoo preset, seed, layer sizes, stop criteria
    out = s.train(on_event=print)                      # live payloads: episodes, losses, evaluations
    s.train()                                          # Resume: the same model goes on
    record.save(s, "project/", record.test_return(s))  # record.py: a run of study "rl", best weights
    agent = s.best_agent()                             # agents.py: act(obs) -> action, probabilities / Q-values
    export.export_onnx(agent, "cartpole.onnx")         # export.py: checked with onnxruntime on 100 states
    play.play("CartPole-v1", agent, on_frame)          # play.py: frames at the env's own rate; record_gif
    envs.check("my_module:MyEnv")                      # envs.py: one sentence when it cannot work

presets.py holds the rl-baselines3-zoo's tuned hyperparameters (cited there).
"""
from workbench.core.studies.rl.envs import EnvironmentFailed  # noqa: F401
from workbench.core.studies.rl.session import RLConfig, RLOutcome, RLSession  # noqa: F401
