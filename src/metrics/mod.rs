//! Metrics over scores, labels and signed weights (being written).
