//! Conversions between [`NdArray`] and the `ndarray` crate's arrays (feature `ndarray`).

use ndarray::{ArrayBase, ArrayD, Data, Dimension, IxDyn, ShapeBuilder};

use super::array::{Element, NdArray, Order};
use crate::error::Error;
use crate::stdlib::invalid;

impl NdArray {
    /// The elements as an `ndarray` array of `T`, with this array's shape and memory order. An
    /// error if the dtype is not exactly `T`'s.
    ///
    /// ```
    /// use pypickle::numpy::NdArray;
    /// let a = NdArray::from_vec(vec![2, 3], (0..6).map(f64::from).collect())?;
    /// let m = a.to_ndarray::<f64>()?;
    /// assert_eq!(m[[1, 2]], 5.0);
    /// # Ok::<(), pypickle::Error>(())
    /// ```
    pub fn to_ndarray<T: Element>(&self) -> Result<ArrayD<T>, Error> {
        let data = self.to_vec::<T>()?;
        let shape = IxDyn(self.shape());
        let made = match self.order() {
            Order::C => ArrayD::from_shape_vec(shape, data),
            Order::Fortran => ArrayD::from_shape_vec(shape.f(), data),
        };
        made.map_err(|e| invalid("numpy array", e))
    }

    /// An array with the shape and elements (in logical, row-major order) of an `ndarray`
    /// array, whatever its memory layout.
    pub fn from_ndarray<T: Element, S: Data<Elem = T>, D: Dimension>(
        a: &ArrayBase<S, D>,
    ) -> NdArray {
        NdArray::from_vec(a.shape().to_vec(), a.iter().copied().collect())
            .expect("an ndarray's element count matches its shape")
    }
}

impl<T: Element> TryFrom<&NdArray> for ArrayD<T> {
    type Error = Error;
    fn try_from(a: &NdArray) -> Result<ArrayD<T>, Error> {
        a.to_ndarray()
    }
}

impl<T: Element, S: Data<Elem = T>, D: Dimension> From<&ArrayBase<S, D>> for NdArray {
    fn from(a: &ArrayBase<S, D>) -> NdArray {
        NdArray::from_ndarray(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_ways_and_both_orders() {
        let m = ndarray::arr2(&[[1i32, 2, 3], [4, 5, 6]]);
        let a = NdArray::from(&m);
        assert_eq!(a.shape(), &[2, 3]);
        assert_eq!(a.to_ndarray::<i32>().unwrap(), m.clone().into_dyn());
        // A transposed view: logical order is kept.
        let t = NdArray::from(&m.t());
        assert_eq!(t.to_vec::<i32>().unwrap(), [1, 4, 2, 5, 3, 6]);
        // A Fortran-ordered NdArray becomes an ndarray with the same logical elements.
        let f = NdArray::from_bytes(
            a.dtype().clone(),
            vec![2, 3],
            Order::Fortran,
            [1i32, 4, 2, 5, 3, 6]
                .iter()
                .flat_map(|x| x.to_le_bytes())
                .collect(),
        )
        .unwrap();
        assert_eq!(f.to_ndarray::<i32>().unwrap(), m.into_dyn());
        assert!(a.to_ndarray::<f64>().is_err());
    }
}
