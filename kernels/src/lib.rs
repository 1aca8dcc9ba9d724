//! rootgrad's numeric kernels: every line of `unsafe` and SIMD in the project lives in
//! this crate, behind safe slice APIs that check lengths and strides before the fast
//! path runs. Each fast kernel has a naive twin (`*_naive`) that the tests compare it
//! against, and that stays the reference.
//!
//! - [`gemm`]: C = alpha * A B + beta * C with arbitrary row/column strides, so the
//!   transposes of a backward pass need no copies (matrixmultiply underneath). A leaf:
//!   it imports nothing from the other kernel modules.
//! - [`act`]: fused bias + activation forward, and activation derivative + bias
//!   gradient backward.
//! - [`small`]: products with at most 64 output columns (a small network's layers)
//!   without packing, hand-written for AVX-512 in f32, with [`gemm`] as the fallback.
//! - [`optim`]: the element-wise parameter updates of the optimisers.
//! - [`gather`]: the row gather of a shuffled batch (and a prefetching variant, measured
//!   no faster).
//! - [`mem`]: transparent huge pages for the feature matrix that batches are gathered
//!   from at random.
//!
//! A kernel generic over `T: Real` picks its f32 fast path one way only: through
//! [`Real::as_f32`] / [`Real::as_f32_mut`], which give the slice as f32 when `T` is f32.

pub mod act;
pub mod gather;
pub mod gemm;
pub mod mem;
pub mod optim;
pub mod small;

pub use act::Act;

/// The floating-point types the kernels run on: f32 for training, f64 for the
/// finite-difference checks.
pub trait Real:
    Copy
    + Send
    + Sync
    + Default
    + PartialOrd
    + std::fmt::Debug
    + std::fmt::Display
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + std::ops::Neg<Output = Self>
    + std::ops::AddAssign
    + std::ops::SubAssign
    + std::ops::MulAssign
    + 'static
{
    const ZERO: Self;
    const ONE: Self;
    fn from_f64(x: f64) -> Self;
    fn to_f64(self) -> f64;
    fn exp(self) -> Self;
    fn ln(self) -> Self;
    fn ln_1p(self) -> Self;
    fn sqrt(self) -> Self;
    fn tanh(self) -> Self;
    fn abs(self) -> Self;
    fn max(self, o: Self) -> Self;
    fn min(self, o: Self) -> Self;
    fn powi(self, n: i32) -> Self;
    fn is_nan(self) -> bool;

    /// `v` as `&[f32]` when `Self` is f32, else `None`: the one way a kernel generic over
    /// `T: Real` selects its f32 fast path (resolved at compile time, no unsafe).
    #[inline]
    fn as_f32(v: &[Self]) -> Option<&[f32]> {
        let _ = v;
        None
    }

    /// `v` as `&mut [f32]` when `Self` is f32, else `None` (see [`Real::as_f32`]).
    #[inline]
    fn as_f32_mut(v: &mut [Self]) -> Option<&mut [f32]> {
        let _ = v;
        None
    }
}

macro_rules! real {
    ($t:ty $(, $item:item)*) => {
        impl Real for $t {
            $($item)*
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            #[inline]
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn exp(self) -> Self {
                <$t>::exp(self)
            }
            #[inline]
            fn ln(self) -> Self {
                <$t>::ln(self)
            }
            #[inline]
            fn ln_1p(self) -> Self {
                <$t>::ln_1p(self)
            }
            #[inline]
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
            #[inline]
            fn tanh(self) -> Self {
                <$t>::tanh(self)
            }
            #[inline]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            #[inline]
            fn max(self, o: Self) -> Self {
                <$t>::max(self, o)
            }
            #[inline]
            fn min(self, o: Self) -> Self {
                <$t>::min(self, o)
            }
            #[inline]
            fn powi(self, n: i32) -> Self {
                <$t>::powi(self, n)
            }
            #[inline]
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
        }
    };
}
real!(
    f32,
    #[inline]
    fn as_f32(v: &[f32]) -> Option<&[f32]> {
        Some(v)
    },
    #[inline]
    fn as_f32_mut(v: &mut [f32]) -> Option<&mut [f32]> {
        Some(v)
    }
);
real!(f64);
