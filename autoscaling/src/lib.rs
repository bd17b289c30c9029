//! Agones FleetAutoscaler and KubeAI scaling policies.
