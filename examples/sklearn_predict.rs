//! Predict in Rust with a scikit-learn model trained and pickled in Python: no Python, no
//! numpy at run time.
//!
//! The model is the one `python_fixtures/sklearn_models.py` writes (scikit-learn 1.9, numpy 2):
//!
//! ```python
//! model = LogisticRegression().fit([[1, 2], [3, 4], [5, 6]], [0, 1, 0])
//! pickle.dumps(model, protocol=5)    # protocols 2-5 all load the same way
//! joblib.dump(model, "model.joblib")  # read with pypickle::joblib
//! ```
//!
//! Run with `cargo run --example sklearn_predict`.

use pypickle::{ClassRegistry, DeOptions};

/// The estimator as a plain Rust struct, and sklearn's prediction math.
mod sklearn {
    use pypickle::numpy::{NdArray, Order};
    use serde::Deserialize;

    type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

    /// `sklearn.linear_model.LogisticRegression`, fitted: the attributes prediction needs.
    /// The pickled instance has about twenty (`C`, `solver`, `max_iter`, `n_iter_`,
    /// `_sklearn_version`, ...); serde ignores those this struct does not name.
    #[derive(Deserialize)]
    pub struct LogisticRegression {
        /// The labels, sorted: `int64` here (string labels would be a `<U` array).
        pub classes_: NdArray,
        /// `(1, n_features)` for two classes, `(n_classes, n_features)` for more.
        pub coef_: NdArray,
        /// `(1,)` or `(n_classes,)`.
        pub intercept_: NdArray,
    }

    impl LogisticRegression {
        /// One score per row of `coef_`: `x @ coef_.T + intercept_` (sklearn's
        /// `LinearClassifierMixin.decision_function`).
        pub fn decision_function(&self, x: &[f64]) -> Result<Vec<f64>> {
            let coef = self.coef_.to_f64_vec()?;
            let intercept = self.intercept_.to_f64_vec()?;
            let &[rows, features] = self.coef_.shape() else {
                return Err(format!("coef_ has shape {:?}", self.coef_.shape()).into());
            };
            if x.len() != features {
                return Err(format!("{} features given, the model has {features}", x.len()).into());
            }
            // coef_[k, j]: numpy may store a 2-d array column by column (Fortran order); the
            // multinomial fit does.
            let at = |k: usize, j: usize| match self.coef_.order() {
                Order::C => coef[k * features + j],
                Order::Fortran => coef[j * rows + k],
            };
            Ok((0..rows)
                .map(|k| (0..features).map(|j| x[j] * at(k, j)).sum::<f64>() + intercept[k])
                .collect())
        }

        /// `LinearClassifierMixin.predict`: with two classes, the second where the score is
        /// positive; with more, the class of the highest score (the first, on a tie).
        pub fn predict(&self, x: &[f64]) -> Result<i64> {
            let scores = self.decision_function(x)?;
            let index = if scores.len() == 1 {
                usize::from(scores[0] > 0.0)
            } else {
                (0..scores.len()).fold(0, |best, k| if scores[k] > scores[best] { k } else { best })
            };
            Ok(self.classes_.to_i64_vec()?[index])
        }

        /// `LogisticRegression.predict_proba` as scikit-learn >= 1.8 does it, and older versions
        /// for two classes with the default `multi_class`. Older models fitted with
        /// `multi_class="ovr"` (or `"multinomial"` on two classes) need the rule in
        /// `tests/sklearn.rs`.
        pub fn predict_proba(&self, x: &[f64]) -> Result<Vec<f64>> {
            let scores = self.decision_function(x)?;
            if scores.len() == 1 {
                // Two classes: the logistic sigmoid, `expit`, of the one score.
                let p = 1.0 / (1.0 + (-scores[0]).exp());
                Ok(vec![1.0 - p, p])
            } else {
                // More: the softmax of the scores, their maximum subtracted first (as
                // `sklearn.utils.extmath.softmax` does, so `exp` cannot overflow).
                let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let exp: Vec<f64> = scores.iter().map(|s| (s - max).exp()).collect();
                let sum: f64 = exp.iter().sum();
                Ok(exp.iter().map(|e| e / sum).collect())
            }
        }
    }
}

/// What scikit-learn 1.9.1 itself returned for `[[3, 4]]` (python_fixtures/sklearn/expectations.tsv).
const SKLEARN_PREDICT: i64 = 0;
const SKLEARN_PROBA: [f64; 2] = [0.6666660771520003, 0.3333339228479996];
const SKLEARN_MULTINOMIAL_PREDICT: i64 = 30;
const SKLEARN_MULTINOMIAL_PROBA: [f64; 3] = [
    0.021026858104952077,
    0.07172186129480355,
    0.9072512806002444,
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The pickle names the estimator's class; registering it maps that class to the Rust
    // struct and lets it past the policy (everything else not on the allowlist is refused).
    // numpy's array reconstruction globals are allowed by default: nothing else is needed.
    let options =
        DeOptions::new().registry(ClassRegistry::new().class::<sklearn::LogisticRegression>(
            "sklearn.linear_model._logistic.LogisticRegression",
        ));

    // In a service: std::fs::read("model.pkl")?
    let bytes = include_bytes!("../python_fixtures/sklearn/logreg_binary.p5.pkl");
    let model: sklearn::LogisticRegression = pypickle::from_slice_with(bytes, &options)?;
    println!(
        "loaded LogisticRegression: classes_ {:?}, coef_ {:?}, intercept_ {:?}",
        model.classes_.to_i64_vec()?,
        model.coef_.to_vec::<f64>()?,
        model.intercept_.to_vec::<f64>()?,
    );

    let x = [3.0, 4.0];
    let label = model.predict(&x)?;
    let proba = model.predict_proba(&x)?;
    println!("predict([[3, 4]]) = [{label}]  (sklearn: [{SKLEARN_PREDICT}])");
    println!("predict_proba([[3, 4]]) = [{proba:?}]  (sklearn: [{SKLEARN_PROBA:?}])");
    check(label, &proba, SKLEARN_PREDICT, &SKLEARN_PROBA)?;

    // The same struct reads a 3-class model: softmax instead of the sigmoid.
    let bytes = include_bytes!("../python_fixtures/sklearn/logreg_multinomial.p5.pkl");
    let model: sklearn::LogisticRegression = pypickle::from_slice_with(bytes, &options)?;
    let label = model.predict(&x)?;
    let proba = model.predict_proba(&x)?;
    println!("3 classes {:?}:", model.classes_.to_i64_vec()?);
    println!("predict([[3, 4]]) = [{label}]  (sklearn: [{SKLEARN_MULTINOMIAL_PREDICT}])");
    println!("predict_proba([[3, 4]]) = [{proba:?}]  (sklearn: [{SKLEARN_MULTINOMIAL_PROBA:?}])");
    check(
        label,
        &proba,
        SKLEARN_MULTINOMIAL_PREDICT,
        &SKLEARN_MULTINOMIAL_PROBA,
    )?;

    // The seed's model saved with joblib.dump(model, "model.joblib") instead: the arrays' bytes
    // follow the pickle's opcodes, which pypickle::joblib reads (compressed files too, from a
    // reader, with the `joblib` feature).
    let bytes = include_bytes!("../python_fixtures/sklearn/logreg_binary.joblib");
    let model: sklearn::LogisticRegression = pypickle::joblib::from_slice_with(bytes, &options)?;
    let (label, proba) = (model.predict(&x)?, model.predict_proba(&x)?);
    println!("from joblib.dump's file: predict([[3, 4]]) = [{label}], predict_proba = [{proba:?}]");
    check(label, &proba, SKLEARN_PREDICT, &SKLEARN_PROBA)?;
    Ok(())
}

/// Same label, and probabilities within 1e-12 of sklearn's (the last bits of `exp` and of the
/// sums' order may differ from numpy's).
fn check(label: i64, proba: &[f64], want_label: i64, want: &[f64]) -> Result<(), String> {
    let close =
        proba.len() == want.len() && proba.iter().zip(want).all(|(p, w)| (p - w).abs() <= 1e-12);
    if label == want_label && close {
        Ok(())
    } else {
        Err(format!(
            "Rust says {label} {proba:?}, sklearn said {want_label} {want:?}"
        ))
    }
}
