//! Optimisers with PyTorch's update rules, learning-rate schedules, gradient clipping.
