//! The expression language for features, cuts, weights and fold variables (being written).
