//! scikit-learn models pickled by CPython (`python_fixtures/sklearn_models.py`, committed, so
//! no Python is needed here) load through the class registry into plain Rust structs, and the
//! Rust math predicts what sklearn itself predicted (`python_fixtures/sklearn/expectations.tsv`):
//! labels equal, every float within 1e-12 absolute or relative. Two sets: scikit-learn 1.9 with
//! numpy 2, and scikit-learn 1.3.2 with numpy 1.26 (`numpy.core` names, `multi_class`). Each
//! model is read from its pickles at protocols 2-5 and from its `joblib.dump` files
//! (uncompressed; zlib and gzip with the `joblib` feature), and all predict alike.

use std::collections::BTreeSet;
use std::path::Path;

use pypickle::{ClassRegistry, DeOptions, Value, Verdict};
use serde::Deserialize;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/python_fixtures/sklearn");
const PROTOCOLS: [u8; 4] = [2, 3, 4, 5];
/// The fixture sets: scikit-learn 1.9 with numpy 2 in `DIR`, scikit-learn 1.3.2 with numpy
/// 1.26 (`numpy.core` names, `multi_class`) in a subfolder.
const SETS: [&str; 2] = ["", "sklearn1.3-numpy1/"];
const TOLERANCE: f64 = 1e-12;

/// The estimators: only the fitted attributes prediction needs; the rest of each instance's
/// state (hyper-parameters, `n_iter_`, `_sklearn_version`, ...) is ignored.
mod sk {
    use pypickle::numpy::{ByteOrder, DKind, NdArray, Order};
    use pypickle::Value;
    use serde::Deserialize;

    pub type Result<T> = std::result::Result<T, String>;

    /// A row-major matrix of f64, as the math needs it.
    pub struct Matrix {
        pub rows: usize,
        pub cols: usize,
        pub data: Vec<f64>,
    }

    impl Matrix {
        /// A 2-d array as it is; a 1-d array of `n` as one row (`as_row`) or `n` rows of one.
        /// A Fortran-order array (sklearn's multinomial `coef_` is one) is transposed into
        /// row-major order.
        pub fn from_array(a: &NdArray, as_row: bool) -> Result<Matrix> {
            let mut data = a.to_f64_vec().map_err(|e| e.to_string())?;
            if let ([r, c], Order::Fortran) = (a.shape(), a.order()) {
                data = (0..r * c).map(|i| data[(i % c) * r + i / c]).collect();
            }
            let (rows, cols) = match *a.shape() {
                [r, c] => (r, c),
                [n] if as_row => (1, n),
                [n] => (n, 1),
                [] => (1, 1),
                ref s => return Err(format!("expected at most 2 dimensions, got {s:?}")),
            };
            Ok(Matrix { rows, cols, data })
        }
        pub fn row(&self, i: usize) -> &[f64] {
            &self.data[i * self.cols..(i + 1) * self.cols]
        }
    }

    /// `x @ coef.T + intercept` for one sample: sklearn's `decision_function` (and
    /// `LinearRegression.predict`), one value per row of `coef`.
    fn linear(x: &[f64], coef: &Matrix, intercept: &[f64]) -> Result<Vec<f64>> {
        if x.len() != coef.cols {
            return Err(format!("{} features, the model has {}", x.len(), coef.cols));
        }
        Ok((0..coef.rows)
            .map(|k| {
                let dot: f64 = x.iter().zip(coef.row(k)).map(|(a, b)| a * b).sum();
                dot + intercept[k % intercept.len()]
            })
            .collect())
    }

    /// A class label, as text: `classes_` is an integer array, or a `<U` array of strings.
    pub type Label = String;

    /// `sklearn.linear_model._logistic.LogisticRegression`.
    #[derive(Deserialize)]
    pub struct LogisticRegression {
        pub classes_: NdArray,
        /// (1, n_features) for two classes, (n_classes, n_features) otherwise.
        pub coef_: NdArray,
        pub intercept_: NdArray,
        /// Gone since scikit-learn 1.8, where two classes are one sigmoid and more a
        /// softmax; older models record how they were fitted, and that decides.
        #[serde(default)]
        pub multi_class: Option<String>,
        pub solver: String,
    }

    fn expit(s: f64) -> f64 {
        1.0 / (1.0 + (-s).exp())
    }

    impl LogisticRegression {
        fn scores(&self, x: &[f64]) -> Result<Vec<f64>> {
            let coef = Matrix::from_array(&self.coef_, true)?;
            let intercept = self.intercept_.to_f64_vec().map_err(|e| e.to_string())?;
            linear(x, &coef, &intercept)
        }

        pub fn classes(&self) -> Result<Vec<Label>> {
            let dtype = self.classes_.dtype();
            match dtype.kind {
                DKind::Int => Ok(self
                    .classes_
                    .to_vec::<i64>()
                    .map_err(|e| e.to_string())?
                    .iter()
                    .map(i64::to_string)
                    .collect()),
                // numpy's `U<n>`: n UTF-32 code units per label, NUL-padded.
                DKind::Str => {
                    let bytes = self.classes_.as_bytes().ok_or("no bytes")?;
                    let unit = |c: &[u8]| {
                        let c = [c[0], c[1], c[2], c[3]];
                        match dtype.order {
                            ByteOrder::Big => u32::from_be_bytes(c),
                            _ => u32::from_le_bytes(c),
                        }
                    };
                    bytes
                        .chunks_exact(dtype.itemsize.max(1))
                        .map(|label| {
                            label
                                .chunks_exact(4)
                                .map(unit)
                                .take_while(|&u| u != 0)
                                .map(|u| char::from_u32(u).ok_or(format!("code point {u:#x}")))
                                .collect()
                        })
                        .collect()
                }
                _ => Err(format!("classes_ of dtype {dtype}")),
            }
        }

        /// Whether `predict_proba` normalises one sigmoid per class (`_predict_proba_lr`)
        /// rather than taking a softmax. scikit-learn >= 1.8: for two classes. 1.3 (the legacy
        /// fixtures): for `multi_class="ovr"`, or `"auto"` with two classes or a one-vs-rest
        /// solver.
        fn one_vs_rest(&self) -> bool {
            let binary = self.classes_.len() <= 2;
            match self.multi_class.as_deref() {
                None => binary,
                Some("ovr" | "warn") => true,
                Some("auto" | "deprecated") => {
                    binary || matches!(self.solver.as_str(), "liblinear" | "newton-cholesky")
                }
                Some(_) => false,
            }
        }

        /// `LinearClassifierMixin.predict`: the positive class where the score is > 0 (two
        /// classes), else the class of the first highest score (numpy's `argmax`).
        pub fn predict(&self, x: &[f64]) -> Result<Label> {
            let scores = self.scores(x)?;
            let index = if scores.len() == 1 {
                usize::from(scores[0] > 0.0)
            } else {
                argmax(&scores)
            };
            Ok(self.classes()?.swap_remove(index))
        }

        /// `LogisticRegression.predict_proba`.
        pub fn predict_proba(&self, x: &[f64]) -> Result<Vec<f64>> {
            let scores = self.scores(x)?;
            Ok(match (self.one_vs_rest(), scores.len()) {
                // `_predict_proba_lr`, two classes: `[1 - expit(s), expit(s)]`.
                (true, 1) => {
                    let p = expit(scores[0]);
                    vec![1.0 - p, p]
                }
                // `_predict_proba_lr`, more: each class's sigmoid over their sum (uniform
                // where all are 0).
                (true, n) => {
                    let p: Vec<f64> = scores.iter().map(|&s| expit(s)).collect();
                    let sum: f64 = p.iter().sum();
                    if sum == 0.0 {
                        vec![1.0 / n as f64; n]
                    } else {
                        p.iter().map(|p| p / sum).collect()
                    }
                }
                // The binary softmax of old `multi_class="multinomial"`: of `[-s, s]`.
                (false, 1) => softmax(&[-scores[0], scores[0]]),
                (false, _) => softmax(&scores),
            })
        }
    }

    fn argmax(v: &[f64]) -> usize {
        let mut best = 0;
        for (i, &s) in v.iter().enumerate() {
            if s > v[best] {
                best = i;
            }
        }
        best
    }

    /// `sklearn.utils.extmath.softmax` for one row.
    pub fn softmax(scores: &[f64]) -> Vec<f64> {
        let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let exp: Vec<f64> = scores.iter().map(|s| (s - max).exp()).collect();
        let sum: f64 = exp.iter().sum();
        exp.iter().map(|e| e / sum).collect()
    }

    /// `sklearn.linear_model._base.LinearRegression`.
    #[derive(Deserialize)]
    pub struct LinearRegression {
        /// (n_features,), or (n_targets, n_features).
        pub coef_: NdArray,
        /// A numpy float64 scalar (a 0-d array), or (n_targets,); the Python float `0.0`
        /// when fitted without an intercept, so read as a `Value` first.
        pub intercept_: Value,
    }

    impl LinearRegression {
        /// One prediction per target.
        pub fn predict(&self, x: &[f64]) -> Result<Vec<f64>> {
            let coef = Matrix::from_array(&self.coef_, true)?;
            let intercept = match self.intercept_.as_f64() {
                Some(f) => vec![f],
                None => NdArray::try_from(&self.intercept_)
                    .and_then(|a| a.to_f64_vec())
                    .map_err(|e| e.to_string())?,
            };
            linear(x, &coef, &intercept)
        }
    }

    /// `sklearn.preprocessing._data.StandardScaler`.
    #[derive(Deserialize)]
    pub struct StandardScaler {
        pub with_mean: bool,
        pub with_std: bool,
        /// None when `with_mean` and `with_std` are both false.
        pub mean_: Option<NdArray>,
        /// None when `with_std` is false.
        pub scale_: Option<NdArray>,
    }

    impl StandardScaler {
        /// `(x - mean_) / scale_`, each step only if the scaler was fitted with it.
        pub fn transform(&self, x: &[f64]) -> Result<Vec<f64>> {
            let mut out = x.to_vec();
            let column = |a: &Option<NdArray>| -> Result<Option<Vec<f64>>> {
                let Some(a) = a else { return Ok(None) };
                let v = a.to_f64_vec().map_err(|e| e.to_string())?;
                if v.len() != x.len() {
                    return Err(format!("{} features, the scaler has {}", x.len(), v.len()));
                }
                Ok(Some(v))
            };
            if self.with_mean {
                for (o, m) in out.iter_mut().zip(column(&self.mean_)?.ok_or("no mean_")?) {
                    *o -= m;
                }
            }
            if self.with_std {
                for (o, s) in out
                    .iter_mut()
                    .zip(column(&self.scale_)?.ok_or("no scale_")?)
                {
                    *o /= s;
                }
            }
            Ok(out)
        }
    }

    /// `sklearn.pipeline.Pipeline`: its steps as `(name, estimator)` pairs, each estimator one
    /// of the classes the registry maps to a `Step` variant.
    #[derive(Deserialize)]
    pub struct Pipeline {
        pub steps: Vec<(String, Step)>,
    }

    // A pipeline holds a few steps: their size difference costs nothing worth a box.
    #[allow(clippy::large_enum_variant)]
    #[derive(Deserialize)]
    pub enum Step {
        StandardScaler(StandardScaler),
        LogisticRegression(LogisticRegression),
    }

    impl Pipeline {
        /// Every step but the last transforms; the last is the classifier.
        fn split(&self) -> Result<(&[(String, Step)], &LogisticRegression)> {
            match self.steps.split_last() {
                Some(((_, Step::LogisticRegression(clf)), transforms)) => Ok((transforms, clf)),
                _ => Err("the last step is not a LogisticRegression".into()),
            }
        }
        fn transform(transforms: &[(String, Step)], x: &[f64]) -> Result<Vec<f64>> {
            let mut x = x.to_vec();
            for (name, step) in transforms {
                x = match step {
                    Step::StandardScaler(s) => s.transform(&x)?,
                    _ => return Err(format!("step {name:?} does not transform")),
                };
            }
            Ok(x)
        }
        pub fn predict(&self, x: &[f64]) -> Result<Label> {
            let (transforms, clf) = self.split()?;
            clf.predict(&Self::transform(transforms, x)?)
        }
        pub fn predict_proba(&self, x: &[f64]) -> Result<Vec<f64>> {
            let (transforms, clf) = self.split()?;
            clf.predict_proba(&Self::transform(transforms, x)?)
        }
    }
}

/// The classes a scikit-learn pickle of these models names, besides numpy's (which are on the
/// default allowlist): registering them is all the policy needs.
fn registry() -> ClassRegistry {
    ClassRegistry::new()
        .class::<sk::LogisticRegression>("sklearn.linear_model._logistic.LogisticRegression")
        .class::<sk::LinearRegression>("sklearn.linear_model._base.LinearRegression")
        .class::<sk::StandardScaler>("sklearn.preprocessing._data.StandardScaler")
        .class::<sk::Pipeline>("sklearn.pipeline.Pipeline")
        .variant::<sk::Step>(
            "StandardScaler",
            "sklearn.preprocessing._data.StandardScaler",
        )
        .variant::<sk::Step>(
            "LogisticRegression",
            "sklearn.linear_model._logistic.LogisticRegression",
        )
}

fn fixture(name: &str, protocol: u8) -> Vec<u8> {
    let path = Path::new(DIR).join(format!("{name}.p{protocol}.pkl"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn load<T: for<'de> Deserialize<'de>>(name: &str, protocol: u8) -> T {
    let options = DeOptions::new().registry(registry());
    pypickle::from_slice_with(&fixture(name, protocol), &options)
        .unwrap_or_else(|e| panic!("{name} at protocol {protocol}: {e}"))
}

/// The joblib files of a set: uncompressed, and with the `joblib` feature zlib (`c3`) and gzip
/// (`gz`, not in the older set).
fn joblib_forms(set: &str) -> Vec<&'static str> {
    let mut forms = vec!["joblib"];
    if cfg!(feature = "joblib") {
        forms.push("c3.joblib");
        if set.is_empty() {
            forms.push("gz.joblib");
        }
    }
    forms
}

/// A model from its `joblib.dump` file: uncompressed ones from memory (borrowing), compressed
/// ones through `joblib::from_reader`, which inflates them on the fly.
fn load_joblib<T: for<'de> Deserialize<'de>>(name: &str, form: &str) -> T {
    let path = Path::new(DIR).join(format!("{name}.{form}"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let options = DeOptions::new().registry(registry());
    let got = if form == "joblib" {
        pypickle::joblib::from_slice_with(&bytes, &options)
    } else {
        pypickle::joblib::from_reader_with(&bytes[..], &options)
    };
    got.unwrap_or_else(|e| panic!("{name}.{form}: {e}"))
}

/// One line of expectations.tsv.
struct Expectation {
    model: String,
    method: String,
    inputs: Vec<Vec<f64>>,
    /// As written: labels are compared as text, floats parsed.
    outputs: Vec<Vec<String>>,
}

/// What a model returned: labels, or floats.
enum Got {
    Labels(Vec<String>),
    Floats(Vec<f64>),
}

fn rows(field: &str) -> Vec<Vec<f64>> {
    field
        .split(';')
        .map(|row| row.split(',').map(|v| v.parse().unwrap()).collect())
        .collect()
}

/// The fixtures of `model`, a name in `DIR` or `set/name` for a set in a subfolder.
fn expectations(model: &str) -> Vec<Expectation> {
    let (set, model) = model.rsplit_once('/').unwrap_or(("", model));
    let path = Path::new(DIR).join(set).join("expectations.tsv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let found: Vec<Expectation> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 4, "{l}");
            Expectation {
                model: f[0].into(),
                method: f[1].into(),
                inputs: rows(f[2]),
                outputs: f[3]
                    .split(';')
                    .map(|row| row.split(',').map(String::from).collect())
                    .collect(),
            }
        })
        .filter(|e| e.model == model)
        .collect();
    assert!(!found.is_empty(), "no expectations for {model}");
    found
}

/// Largest error seen across all comparisons, (absolute, relative), for the summary line.
fn close(got: &[f64], want: &[f64], what: &str) -> (f64, f64) {
    assert_eq!(got.len(), want.len(), "{what}: {got:?} vs {want:?}");
    let mut worst = (0.0f64, 0.0f64);
    for (g, w) in got.iter().zip(want) {
        let abs = (g - w).abs();
        let rel = if *w == 0.0 { abs } else { abs / w.abs() };
        assert!(
            abs <= TOLERANCE || rel <= TOLERANCE,
            "{what}: {g:?} vs sklearn's {w:?} (abs {abs:e}, rel {rel:e})"
        );
        worst = (worst.0.max(abs), worst.1.max(rel));
    }
    worst
}

/// Check a model's predictions against every recorded line for it, in each of `sets`, at every
/// protocol; the largest errors seen, (absolute, relative).
fn check<T: for<'de> Deserialize<'de>>(
    name: &str,
    sets: &[&str],
    call: impl Fn(&T, &str, &[f64]) -> Got,
) -> (f64, f64) {
    let mut worst = (0.0f64, 0.0f64);
    for set in sets {
        let model = format!("{set}{name}");
        let loaded = PROTOCOLS
            .iter()
            .map(|&protocol| (format!("p{protocol}"), load::<T>(&model, protocol)))
            .chain(
                joblib_forms(set)
                    .into_iter()
                    .map(|form| (form.to_string(), load_joblib::<T>(&model, form))),
            );
        for (form, m) in loaded {
            for e in expectations(&model) {
                for (x, want) in e.inputs.iter().zip(&e.outputs) {
                    let what = format!("{model} {form} {}({x:?})", e.method);
                    match call(&m, &e.method, x) {
                        Got::Labels(got) => assert_eq!(&got, want, "{what}"),
                        Got::Floats(got) => {
                            let want: Vec<f64> = want.iter().map(|v| v.parse().unwrap()).collect();
                            let (a, r) = close(&got, &want, &what);
                            worst = (worst.0.max(a), worst.1.max(r));
                        }
                    }
                }
            }
        }
    }
    eprintln!(
        "{name} {sets:?}: max abs error {:e}, max rel error {:e}",
        worst.0, worst.1
    );
    worst
}

fn classifier_call(
    predict: impl Fn(&[f64]) -> sk::Result<sk::Label>,
    proba: impl Fn(&[f64]) -> sk::Result<Vec<f64>>,
    method: &str,
    x: &[f64],
) -> Got {
    match method {
        "predict" => Got::Labels(vec![predict(x).unwrap()]),
        "predict_proba" => Got::Floats(proba(x).unwrap()),
        m => panic!("no method {m}"),
    }
}

#[test]
fn logistic_regression_binary_the_seed_model() {
    check::<sk::LogisticRegression>("logreg_binary", &SETS, |m, method, x| {
        classifier_call(|x| m.predict(x), |x| m.predict_proba(x), method, x)
    });
    let m: sk::LogisticRegression = load("logreg_binary", 5);
    assert_eq!(m.classes().unwrap(), ["0", "1"]);
    assert_eq!(m.coef_.shape(), &[1, 2]);
}

#[test]
fn logistic_regression_multinomial() {
    check::<sk::LogisticRegression>("logreg_multinomial", &SETS, |m, method, x| {
        classifier_call(|x| m.predict(x), |x| m.predict_proba(x), method, x)
    });
    let m: sk::LogisticRegression = load("logreg_multinomial", 4);
    assert_eq!(m.classes().unwrap(), ["10", "20", "30"]);
    assert_eq!(m.coef_.shape(), &[3, 2]);
}

#[test]
fn standard_scaler_transform() {
    check::<sk::StandardScaler>("standard_scaler", &SETS, |m, method, x| {
        assert_eq!(method, "transform");
        Got::Floats(m.transform(x).unwrap())
    });
}

#[test]
fn linear_regression_predict() {
    check::<sk::LinearRegression>("linear_regression", &SETS, |m, method, x| {
        assert_eq!(method, "predict");
        Got::Floats(m.predict(x).unwrap())
    });
}

/// A model struct can borrow its arrays: a `#[serde(borrow)]` `NdArrayView` field lends the
/// coefficients from the pickle's (or the joblib file's) bytes, and they equal the owned read.
#[test]
fn a_model_struct_borrows_its_arrays() {
    #[derive(Deserialize)]
    #[serde(rename = "LinearRegression")]
    struct LinearRegressionView<'a> {
        #[serde(borrow)]
        coef_: pypickle::numpy::NdArrayView<'a>,
    }
    let reg = ClassRegistry::new()
        .class::<LinearRegressionView>("sklearn.linear_model._base.LinearRegression");
    let options = DeOptions::new().registry(reg);
    let within = |inner: &[u8], outer: &[u8]| outer.as_ptr_range().contains(&inner.as_ptr());
    for set in SETS {
        let name = format!("{set}linear_regression");
        for protocol in [3, 4, 5] {
            let bytes = fixture(&name, protocol);
            let view: LinearRegressionView = pypickle::from_slice_with(&bytes, &options)
                .unwrap_or_else(|e| panic!("{name} at protocol {protocol}: {e}"));
            assert!(view.coef_.is_borrowed() && within(view.coef_.as_bytes(), &bytes));
            let owned: sk::LinearRegression = load(&name, protocol);
            assert_eq!(view.coef_.into_owned(), owned.coef_, "{name} p{protocol}");
        }
        let path = Path::new(DIR).join(format!("{name}.joblib"));
        let file = std::fs::read(&path).unwrap();
        let view: LinearRegressionView = pypickle::joblib::from_slice_with(&file, &options)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(view.coef_.is_borrowed() && within(view.coef_.as_bytes(), &file));
    }
}

#[test]
fn pipeline_scaler_then_logistic_regression() {
    check::<sk::Pipeline>("pipeline_scaler_logreg", &SETS, |m, method, x| {
        classifier_call(|x| m.predict(x), |x| m.predict_proba(x), method, x)
    });
    let p: sk::Pipeline = load("pipeline_scaler_logreg", 2);
    let names: Vec<&str> = p.steps.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["scaler", "clf"]);
}

/// String labels are a `<U` array in `classes_`.
#[test]
fn logistic_regression_string_labels() {
    check::<sk::LogisticRegression>("logreg_string_labels", &SETS, |m, method, x| {
        classifier_call(|x| m.predict(x), |x| m.predict_proba(x), method, x)
    });
    let m: sk::LogisticRegression = load("logreg_string_labels", 3);
    assert_eq!(m.classes_.dtype().to_string(), "<U4");
    assert_eq!(m.classes().unwrap(), ["bird", "cat", "dog"]);
}

/// scikit-learn < 1.8 only: `multi_class="ovr"` (one sigmoid per class, normalised) and a
/// binary `multi_class="multinomial"` (a softmax of `[-s, s]`).
#[test]
fn logistic_regression_legacy_multi_class() {
    for name in ["logreg_ovr", "logreg_binary_multinomial"] {
        check::<sk::LogisticRegression>(name, &[SETS[1]], |m, method, x| {
            classifier_call(|x| m.predict(x), |x| m.predict_proba(x), method, x)
        });
    }
    let m: sk::LogisticRegression = load("sklearn1.3-numpy1/logreg_ovr", 3);
    assert_eq!(m.multi_class.as_deref(), Some("ovr"));
}

const MODELS: [&str; 6] = [
    "logreg_binary",
    "logreg_string_labels",
    "logreg_multinomial",
    "standard_scaler",
    "linear_regression",
    "pipeline_scaler_logreg",
];

/// The structs above name a handful of attributes; sklearn's state has many more, which serde
/// ignores.
#[test]
fn unused_estimator_attributes_are_ignored() {
    let options = DeOptions::new().registry(registry());
    for (set, protocol) in SETS.iter().flat_map(|s| PROTOCOLS.map(|p| (s, p))) {
        let model = format!("{set}logreg_binary");
        let v: Value = pypickle::from_slice_with(&fixture(&model, protocol), &options)
            .unwrap_or_else(|e| panic!("{model} p{protocol}: {e}"));
        let object = v.as_object().expect("an instance");
        let attributes: BTreeSet<String> = object
            .state
            .iter()
            .flat_map(|s| s.as_dict().unwrap_or(&[]))
            .filter_map(|(k, _)| k.as_str().map(String::from))
            .collect();
        // penalty, C, tol, solver, max_iter, n_iter_, n_features_in_, _sklearn_version, ...
        assert!(attributes.len() >= 15, "p{protocol}: {attributes:?}");
        for used in ["classes_", "coef_", "intercept_"] {
            assert!(attributes.contains(used), "p{protocol}: {attributes:?}");
        }
        for unused in ["C", "solver", "max_iter", "n_iter_", "_sklearn_version"] {
            assert!(attributes.contains(unused), "p{protocol}: {attributes:?}");
        }
        // ... and the 5-field struct loads all the same.
        let m: sk::LogisticRegression = load(&model, protocol);
        assert_eq!(m.intercept_.shape(), &[1]);
    }
}

/// Every global the fixtures name is numpy's reconstruction machinery (on the default
/// allowlist) or an estimator class registered above; nothing else has to be allowed, and
/// nothing dangerous appears.
#[test]
fn the_only_globals_are_numpy_and_the_registered_classes() {
    let registered = [
        "sklearn.linear_model._logistic.LogisticRegression",
        "sklearn.linear_model._base.LinearRegression",
        "sklearn.preprocessing._data.StandardScaler",
        "sklearn.pipeline.Pipeline",
    ];
    let mut seen = BTreeSet::new();
    let legacy = ["logreg_ovr", "logreg_binary_multinomial"];
    let every = SETS
        .iter()
        .flat_map(|set| MODELS.iter().map(move |m| format!("{set}{m}")));
    for model in every.chain(legacy.iter().map(|m| format!("{}{m}", SETS[1]))) {
        for protocol in PROTOCOLS {
            let report = pypickle::scan(&fixture(&model, protocol));
            assert!(report.error.is_none(), "{model} p{protocol}: {report}");
            for g in &report.globals {
                let name = format!("{}.{}", g.module(), g.name());
                match g.verdict() {
                    Verdict::Safe => {}
                    Verdict::Unknown if registered.contains(&name.as_str()) => {}
                    v => panic!("{model} p{protocol}: {name} is {v:?}"),
                }
                seen.insert(name);
            }
        }
    }
    eprintln!("globals: {seen:?}");
    for numpy in [
        "numpy._core.numeric._frombuffer",
        "numpy.core.numeric._frombuffer",
        "numpy.core.multiarray._reconstruct",
    ] {
        assert!(seen.contains(numpy), "{seen:?}");
    }
}

/// Without the registry the estimator class is refused, by name.
#[test]
fn an_unregistered_estimator_is_refused() {
    let err = pypickle::from_slice::<Value>(&fixture("logreg_binary", 4)).unwrap_err();
    assert!(
        err.to_string()
            .contains("sklearn.linear_model._logistic.LogisticRegression"),
        "{err}"
    );
}

/// The example prints sklearn's recorded prediction next to its own.
#[test]
fn the_example_predicts_what_sklearn_recorded() {
    let out = std::process::Command::new(env!("CARGO"))
        .args(["run", "--quiet", "--example", "sklearn_predict"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Its constants are sklearn's recorded output, and it fails if its own predictions are
    // not within 1e-12 of them.
    for model in ["logreg_binary", "logreg_multinomial"] {
        let recorded = expectations(model);
        let find = |method: &str| {
            let e = recorded.iter().find(|e| e.method == method).unwrap();
            assert_eq!(e.inputs[0], [3.0, 4.0]);
            e.outputs[0].clone()
        };
        let label = &find("predict")[0];
        let line = format!("predict([[3, 4]]) = [{label}]  (sklearn: [{label}])");
        assert!(stdout.contains(&line), "{line} not in:\n{stdout}");
        let proba: Vec<f64> = find("predict_proba")
            .iter()
            .map(|v| v.parse().unwrap())
            .collect();
        let proba = format!("(sklearn: [{proba:?}])");
        assert!(stdout.contains(&proba), "{proba} not in:\n{stdout}");
    }
}
