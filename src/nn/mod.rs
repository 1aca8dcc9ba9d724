//! The network: one flat parameter buffer with named slices, dense layers with
//! hand-derived forward and backward passes, activations, dropout, gradient reversal.
