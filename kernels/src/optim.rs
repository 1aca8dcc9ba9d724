//! Element-wise parameter updates of the optimisers (SGD, Adam, AdamW, Adamax,
//! Adadelta, RMSProp), each with a naive twin.
