"""The options the library functions take, as dataclasses; `robot-ac` turns them into CLI flags (tyro).

* :class:`TrainOptions` -> :func:`robot_ac.training.train`, with the algorithms' settings :class:`PpoConfig`,
  :class:`SymphonyConfig`, :class:`AacdConfig`;
* :class:`PlayOptions` -> :func:`robot_ac.play.play` (``evaluate=True``: success rate over one episode per env);
* :class:`ExportOptions` -> :func:`robot_ac.export.policy_export.export_run`;
* :class:`ReplayOptions` -> :func:`robot_ac.replay.session.replay`.

Field docstrings are the CLI's help texts; derived values (batch sizes, default env counts) are computed where they
are used, never stored in a field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from tyro.conf import Positional

Algorithm = Literal["ppo", "symphony", "aacd", "dagger", "bc"]


@dataclass(frozen=True)
class PpoConfig:
    """PPO (rsl_rl) settings. Defaults suit small proprioceptive tasks; each task may override them."""

    num_steps_per_env: int = 16
    """Rollout length per environment and iteration (steps)."""
    actor_hidden_dims: tuple[int, ...] = (32, 32)
    """Hidden layer widths of the actor MLP."""
    critic_hidden_dims: tuple[int, ...] = (32, 32)
    """Hidden layer widths of the critic MLP."""
    activation: Literal["elu", "relu", "tanh", "selu", "gelu"] = "elu"
    init_noise_std: float = 1.0
    """Initial standard deviation of the Gaussian action noise."""
    obs_normalization: bool = False
    """Running mean/std normalisation of observations (exported inside the ONNX graph)."""
    learning_rate: float = 1.0e-3
    schedule: Literal["adaptive", "fixed"] = "adaptive"
    """``adaptive`` scales the learning rate to keep the KL near ``desired_kl``."""
    desired_kl: float = 0.01
    num_learning_epochs: int = 5
    num_mini_batches: int = 4
    gamma: float = 0.99
    lam: float = 0.95
    clip_param: float = 0.2
    entropy_coef: float = 0.005
    value_loss_coef: float = 1.0
    max_grad_norm: float = 1.0
    clip_actions: float | None = None
    """Clip actions to [-x, x] before the environment sees them; None leaves them to the task."""
    actor_rnn: Literal["none", "gru", "lstm"] = "none"
    """A recurrent actor (rsl_rl's RNNModel: the RNN, then the MLP), as TacSL's and Factory's students: the policy
    remembers what it felt. Exported with its state as extra ONNX inputs and outputs (the manifest names them)."""
    rnn_hidden_dim: int = 128
    rnn_num_layers: int = 1
    symmetry_augmentation: bool = False
    """Train every mini-batch on its left/right mirror image too (rsl_rl's symmetry extension; the task must
    define its mirror, ``TaskSpec.symmetry``)."""
    mirror_loss_coef: float = 0.0
    """Weight of rsl_rl's mirror loss (the policy's disagreement with its mirrored self); 0 turns it off."""

    def actor_cfg(self) -> dict[str, Any]:
        """rsl_rl's model config of the actor (an MLP, or an RNN then an MLP)."""
        actor = {"class_name": "MLPModel", "hidden_dims": list(self.actor_hidden_dims), "activation": self.activation,
                 "obs_normalization": self.obs_normalization,
                 "distribution_cfg": {"class_name": "GaussianDistribution", "init_std": self.init_noise_std,
                                      "std_type": "scalar"}}
        if self.actor_rnn != "none":
            actor.update(class_name="RNNModel", rnn_type=self.actor_rnn, rnn_hidden_dim=self.rnn_hidden_dim,
                         rnn_num_layers=self.rnn_num_layers)
        return actor

    @property
    def uses_symmetry(self) -> bool:
        return self.symmetry_augmentation or self.mirror_loss_coef > 0.0

    def symmetry_cfg(self, mirror: str | None) -> dict[str, Any] | None:
        """rsl_rl's ``symmetry_cfg`` with the task's ``mirror`` (a ``module:function`` rsl_rl resolves), or None."""
        if not self.uses_symmetry:
            return None
        if mirror is None:
            raise ValueError("symmetry augmentation and the mirror loss need a task that defines its left/right "
                             "mirror (TaskSpec.symmetry)")
        return {"use_data_augmentation": self.symmetry_augmentation, "use_mirror_loss": self.mirror_loss_coef > 0,
                "mirror_loss_coeff": self.mirror_loss_coef, "data_augmentation_func": mirror}

    def to_rsl_rl(self, *, seed: int, device: str, save_interval: int, experiment_name: str,
                  critic_groups: tuple[str, ...] = ("policy",), mirror: str | None = None) -> dict[str, Any]:
        """The train_cfg dict rsl_rl's OnPolicyRunner expects (rsl-rl-lib 5.5); ``critic_groups``: what the critic
        reads (a privileged ``critic`` group where the task has one: asymmetric actor-critic); ``mirror``: the
        task's left/right mirror for :meth:`symmetry_cfg`."""
        return {
            "seed": seed,
            "device": device,
            "num_steps_per_env": self.num_steps_per_env,
            "save_interval": save_interval,
            "experiment_name": experiment_name,
            "run_name": "",
            "logger": "tensorboard",
            "check_for_nan": True,
            "obs_groups": {"actor": ["policy"], "critic": list(critic_groups)},
            "clip_actions": self.clip_actions,
            "actor": self.actor_cfg(),
            "critic": {
                "class_name": "MLPModel",
                "hidden_dims": list(self.critic_hidden_dims),
                "activation": self.activation,
                "obs_normalization": self.obs_normalization,
            },
            "algorithm": {
                "class_name": "PPO",
                "num_learning_epochs": self.num_learning_epochs,
                "num_mini_batches": self.num_mini_batches,
                "learning_rate": self.learning_rate,
                "schedule": self.schedule,
                "gamma": self.gamma,
                "lam": self.lam,
                "entropy_coef": self.entropy_coef,
                "desired_kl": self.desired_kl,
                "max_grad_norm": self.max_grad_norm,
                "value_loss_coef": self.value_loss_coef,
                "use_clipped_value_loss": True,
                "clip_param": self.clip_param,
                "normalize_advantage_per_mini_batch": False,
                "rnd_cfg": None,
                "symmetry_cfg": self.symmetry_cfg(mirror),
            },
        }


GOLDEN_RATIO_INV = (math.sqrt(5) - 1) / 2  # 1/φ ≈ 0.618, the paper's α and Adam β1


@dataclass(frozen=True)
class SymphonyConfig:
    """Symphony hyper-parameters; defaults are the paper's (Symphony-S3 in the reference ``train.py``)."""

    hidden_dim: int = 512
    """Width of every Linear-LayerNorm-Linear-ReSine-Linear block (reference: capacity // 1000 = 512)."""
    num_critics: int = 3
    """Q networks in the critic ensemble (paper §III: 3)."""
    q_nodes: int = 128
    """Outputs of each Q network; num_critics * q_nodes nodes are sorted and soft-truncated (3 x 128 = 384)."""
    batch_size: int | None = None
    """Transitions per gradient step; default: from the env count (``update_schedule`` in
    robot_ac/algorithms/symphony.py: the paper's 384 up to 72 envs, growing to 32,768 at 8,192 envs)."""
    learning_rate: float = 1e-4
    """AdamW learning rate for actor and critics together (paper: 1e-4)."""
    adam_betas: tuple[float, float] = (GOLDEN_RATIO_INV, 0.995)
    """AdamW (β1, β2) = (1/φ, 1 - τ_paper) ≈ (0.618, 0.995)."""
    weight_decay: float = 0.01
    """Decoupled AdamW weight decay (paper: 0.01)."""
    gamma: float = 0.99
    """Discount factor."""
    tau: float = 0.005
    """Polyak rate of the target critic: θ' <- (1 - τ) θ' + τ θ (reference: 0.005)."""
    ema_alpha: float = GOLDEN_RATIO_INV
    """Weight of the previous value in the moving average Q̄ of the temporal advantage (paper: 1/φ ≈ 0.618)."""
    noise_std: float = 1 / math.e
    """Standard deviation of the actor's Gaussian noise, before the tanh (paper: 1/e)."""
    noise_clip: float = math.e
    """Noise clip in standard deviations, so noise lies in ±noise_std·noise_clip = ±1 (paper: e)."""
    buffer_capacity: int = 512_000
    """Replay capacity in transitions, all envs together (reference: 10,240 warm-up steps x 50)."""
    warmup_transitions: int = 10_240
    """Transitions to collect (with the untrained noisy actor) before the first update (paper N_exp: 10,240)."""
    updates_per_step: int | None = None
    """Gradient steps per vectorised env step; default: from the env count (the paper's G = 3, up to 8 past 8,192
    envs), so that every transition is sampled at least 16 times up to 16,384 envs (see ``update_schedule``)."""
    normalize_rewards: bool = True
    """Divide rewards by the mean |r| of the buffer at the first update (paper eq. 4)."""
    bf16: Literal["auto", "on", "off"] = "auto"
    """Run the networks under torch.autocast in bfloat16 (losses, weights, optimiser and replay stay float32; no grad
    scaler needed). auto: on CUDA devices that support bfloat16 (Ampere and later); off on the CPU, where CPUs without
    bfloat16 units emulate it (10x slower per update on this 2-core AMD EPYC)."""
    compile: bool = False
    """torch.compile the actor and critics (first update compiles: ~45 s on 2 CPU cores); see benchmarks/README."""
    eps: float = 1e-6
    """Added to every denominator: the advantage's |Q̄| and the reward scale r̄."""
    steps_per_iteration: int = 24
    """Runner: vectorised env steps per iteration (one progress line; checkpoints every --save-interval)."""


@dataclass(frozen=True)
class AacdConfig:
    """Stage-2 settings of ``train --algo aacd``."""

    freeze_critic: bool = False
    """Keep the teacher's critic fixed (True) or fine-tune it with the student's PPO value loss (False)."""


@dataclass(frozen=True)
class TrainOptions:
    """Train a policy with PPO (rsl_rl), Symphony, AACD, DAgger or behaviour cloning and write
    runs/<task>/<timestamp>/ (config, checkpoints, curve)."""

    task: str = "cartpole"
    """Task name or gym id (see `robot-ac tasks`)."""
    device: str = "cpu"
    """cpu, cuda or cuda:N: simulation, tensors and learner all run there."""
    num_envs: int | None = None
    """Parallel environments; default: the task's (sized for a 2-core CPU)."""
    max_iterations: int | None = None
    """Iterations; default: the task's. With --resume, iterations to add."""
    algo: Algorithm = "ppo"
    """ppo: on-policy (rsl_rl; asymmetric where the task has a 'critic' group); symphony: off-policy with swaddling
    and fading replay (--symphony.*); aacd: PPO whose critic starts as --teacher's (--aacd.*); dagger / bc: the
    student regresses onto --teacher's actions on its own / the teacher's states (rsl_rl distillation)."""
    teacher: Path | None = None
    """aacd, dagger, bc: the teacher's run directory or checkpoint (PPO whose actor and critic read this task's
    'critic' group); dagger, bc: or ``expert``, the task's scripted expert (where it has one)."""
    seed: int = 42
    """Seed for torch, numpy and the simulator (rank r of a distributed run uses seed + r)."""
    curriculum: bool = True
    """Tasks with a curriculum start easy and get harder as their success rises (evaluation is always at full
    difficulty); --no-curriculum trains on the task as evaluated."""
    run_root: Path = Path("runs")
    """Where run directories are created."""
    run_name: str = ""
    """Optional suffix of the run directory name."""
    resume: Path | None = None
    """Continue from a checkpoint file or a run directory (its latest checkpoint), in a new run directory."""
    init_actor: Path | None = None
    """ppo: start the actor (weights, observation normaliser and action noise) from this run's actor, e.g. a
    student distilled from --teacher expert on the privileged view: PPO then fine-tunes a policy that already
    succeeds."""
    critic_warmup_iterations: int = 0
    """ppo with --init-actor: the first this many iterations train only the critic, on the initial actor's own
    rollouts (fixed learning rate), so the policy gradient starts from a value function that fits it."""
    randomize_from: Path | None = None
    """A replay report's summary.json (`robot-ac replay --resim`): train under the actuator ranges it fitted to the
    real robot (per joint stiffness / damping scale and friction, the command delay); PD-position robots' tasks."""
    export: bool = False
    """Export policy.onnx, policy.pt and manifest.json into RUN/export when training ends (and check them)."""
    distributed: bool = False
    """Multi-GPU data parallel: launch with torchrun, one process per GPU (see README)."""
    save_interval: int = 20
    """Write a checkpoint every this many iterations (and always at the end)."""
    max_wall_time_s: float | None = None
    """Stop after the iteration that passes this many seconds of training (for same-budget comparisons)."""
    verbose: bool = False
    """Print rsl_rl's full per-iteration report instead of one line per iteration."""
    nan_guard: bool = False
    """Keep every env's last 32 steps; on a NaN observation or reward write the failing envs' history to
    RUN/nan_dump_step<N>.npz before stopping (costs a little speed)."""
    ppo: PpoConfig = field(default_factory=PpoConfig)
    """PPO settings; flags you leave unset keep the task's own defaults."""
    symphony: SymphonyConfig = field(default_factory=SymphonyConfig)
    """Symphony settings (with --algo symphony); defaults are the paper's."""
    aacd: AacdConfig = field(default_factory=AacdConfig)
    """AACD settings (with --algo aacd)."""


@dataclass(frozen=True)
class PlayOptions:
    """Roll out a policy for N episodes and print return, episode length and success statistics."""

    policy: Annotated[Path, Positional]
    """A checkpoint, a run directory (latest checkpoint), an export directory or a policy.onnx file."""
    episodes: int = 20
    """Episodes to finish before reporting."""
    num_envs: int = 0
    """Parallel environments; 0: 16, or with --evaluate as many as --episodes."""
    evaluate: bool = False
    """Evaluation: each env contributes its first episode only (one episode per env), so short failing episodes do
    not crowd out long ones; the success rate comes with its 95% (Wilson) interval."""
    device: str = "cpu"
    seed: int = 0
    """Same seed, same policy -> identical statistics."""
    task: str | None = None
    """Override the task named in the checkpoint/manifest (must have the same interface)."""
    json_out: Path | None = None
    """Also write the statistics as JSON to this file."""


@dataclass(frozen=True)
class ExportOptions:
    """Export a trained policy: policy.onnx, policy.pt (TorchScript) and manifest.json."""

    run: Annotated[Path, Positional]
    """A run directory (latest checkpoint) or a checkpoint file."""
    out: Path | None = None
    """Output directory; default: RUN/export."""
    check: bool = False
    """Compare onnxruntime and TorchScript against torch on random and recorded observations; fail past tolerance."""
    tolerance: float = 1e-4
    """Largest |onnx - torch| / (1 + |torch|): float32 round-off on random inputs far outside an observation
    normaliser's range reaches 1e-5; a real mismatch is orders of magnitude above this."""


@dataclass(frozen=True)
class ReplayOptions:
    """Replay a robot log (rosbag2, MCAP or sqlite3) through the policy: open-loop commands (joint or Cartesian pose
    targets) vs what the robot sent, lag, divergence; writes summary.json, PNGs, report.html and replay.mcap."""

    bag: Annotated[Path, Positional]
    config: Path
    """Hardware config the robot ran with (topics, joints)."""
    policy: Path
    """Export directory (manifest.json + policy.onnx) the robot ran."""
    out: Path = Path("replay_report")
    tolerance: float = 1e-4
    """Command difference (rad, m or N; quaternion components for pose targets) above which the replay counts as
    diverged."""
    resim: bool = False
    """Also re-simulate on the robot's twin: joint robots, the recorded commands in the simulator (trajectory gap,
    actuator gain); PD-position robots (a G1 over LowCmd), each joint's stiffness / damping scale, friction and the
    command delay fitted by inverse dynamics (needs --harness); Cartesian robots, the policy in closed loop with the
    tracking (gain, delay) fitted from the log."""
    harness: bool = False
    """The robot hung in its harness (pelvis fixed) while logged: LowState has no pelvis position or velocity, and
    a PD-position robot's actuator fit needs the whole state."""
