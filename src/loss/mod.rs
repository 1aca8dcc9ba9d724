//! The loss terms: weighted cross-entropy, the histogram loss, the domain loss and the
//! mass decorrelation terms, each forward beside its backward.
