"""Training hyper-parameters as dataclasses; `robot-ac` turns them into CLI flags."""

from __future__ import annotations

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

    def to_rsl_rl(self, *, seed: int, device: str, save_interval: int, experiment_name: str) -> dict[str, Any]:
        """The train_cfg dict rsl_rl's OnPolicyRunner expects (rsl-rl-lib 5.5)."""
        return {
            "seed": seed,
            "device": device,
            "num_steps_per_env": self.num_steps_per_env,
            "save_interval": save_interval,
            "experiment_name": experiment_name,
            "run_name": "",
            "logger": "tensorboard",
            "check_for_nan": True,
            "obs_groups": {"actor": ["policy"], "critic": ["policy"]},
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
