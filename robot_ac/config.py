"""Training hyper-parameters as dataclasses; `robot-ac` turns them into CLI flags."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal


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

    def to_rsl_rl(self, *, seed: int, device: str, save_interval: int, experiment_name: str,
                  critic_groups: tuple[str, ...] = ("policy",)) -> dict[str, Any]:
        """The train_cfg dict rsl_rl's OnPolicyRunner expects (rsl-rl-lib 5.5); ``critic_groups``: what the critic
        reads (a privileged ``critic`` group where the task has one: asymmetric actor-critic)."""
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
            "actor": {
                "class_name": "MLPModel",
                "hidden_dims": list(self.actor_hidden_dims),
                "activation": self.activation,
                "obs_normalization": self.obs_normalization,
                "distribution_cfg": {"class_name": "GaussianDistribution", "init_std": self.init_noise_std,
                                     "std_type": "scalar"},
            },
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
                "symmetry_cfg": None,
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
    batch_size: int = 384
    """Transitions per gradient step (paper: 384, the number of critic nodes)."""
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
    updates_per_step: int = 3
    """Gradient steps per vectorised env step, read by the off-policy runner (reference G = 3 with one env)."""
    normalize_rewards: bool = True
    """Divide rewards by the mean |r| of the buffer at the first update (paper eq. 4)."""
    mixed_precision: bool = False
    """Run the networks under torch.autocast in bfloat16 (losses stay float32; no grad scaler needed)."""
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
