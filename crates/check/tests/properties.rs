//! Property tests: histories produced by a real sequential execution are always
//! accepted; an impossible read is always rejected; partitioning by key never changes
//! a verdict.

use faultline_check::formats::{parse_history, Format};
use faultline_check::{
    check, CheckOptions, History, KvInput, KvModel, KvOutput, Model, RegisterInput, RegisterModel,
    RegisterOutput,
};
use proptest::prelude::*;

/// One generated operation: what it does, how far its interval reaches around its
/// linearization point, and whether it is indeterminate (and then whether it applied).
#[derive(Clone, Debug)]
struct Gen {
    kind: u8,
    key: u8,
    before: u64,
    after: u64,
    indeterminate: bool,
    applied: bool,
}

fn gens(max: usize) -> impl Strategy<Value = Vec<Gen>> {
    prop::collection::vec(
        (
            0u8..4,
            0u8..3,
            0u64..40,
            0u64..40,
            prop::bool::weighted(0.2),
            any::<bool>(),
        )
            .prop_map(|(kind, key, before, after, indeterminate, applied)| Gen {
                kind,
                key,
                before,
                after,
                indeterminate,
                applied,
            }),
        1..max,
    )
}

fn kv_input(g: &Gen, i: usize) -> KvInput {
    let key = format!("k{}", g.key);
    match g.kind {
        0 => KvInput::Get { key },
        1 => KvInput::Put {
            key,
            value: format!("p{i}"),
        },
        2 => KvInput::Append {
            key,
            value: format!("a{i}"),
        },
        _ => KvInput::Cas {
            key,
            expected: if i % 2 == 0 {
                String::new()
            } else {
                format!("p{}", i - 1)
            },
            new: format!("c{i}"),
        },
    }
}

fn kv_output(state: &<KvModel as Model>::State, input: &KvInput) -> KvOutput {
    match input {
        KvInput::Get { key } => KvOutput::Value(state.get(key)),
        KvInput::Put { .. } | KvInput::Append { .. } => KvOutput::Ok,
        KvInput::Cas { key, expected, .. } => KvOutput::Cas(state.get(key) == *expected),
    }
}

fn register_input(g: &Gen, i: usize) -> RegisterInput {
    match g.kind {
        0 | 1 => RegisterInput::Read,
        2 => RegisterInput::Write(i as i64),
        _ => RegisterInput::Cas {
            expected: i as i64 - 1,
            new: i as i64,
        },
    }
}

fn register_output(state: &Option<i64>, input: &RegisterInput) -> RegisterOutput {
    match input {
        RegisterInput::Read => RegisterOutput::Value(*state),
        RegisterInput::Write(_) => RegisterOutput::Ok,
        RegisterInput::Cas { expected, .. } => RegisterOutput::Cas(*state == Some(*expected)),
    }
}

/// Runs the ops in order against the model (op `i` takes effect at time 100 i + 50,
/// skipped indeterminate ones never), recording each op's interval around that point.
fn execute<M: Model>(
    model: &M,
    gens: &[Gen],
    input: impl Fn(&Gen, usize) -> M::Input,
    output: impl Fn(&M::State, &M::Input) -> M::Output,
) -> History<M::Input, M::Output> {
    let mut state = model.init();
    let mut history = History::new();
    for (i, g) in gens.iter().enumerate() {
        let at = 100 * i as u64 + 50;
        let inp = input(g, i);
        let out = output(&state, &inp);
        if !g.indeterminate || g.applied {
            state = model
                .step(&state, &inp, Some(&out))
                .expect("the model accepts its own output");
        }
        let invoke = at - g.before;
        if g.indeterminate {
            history.push_indeterminate(i as u64, invoke, inp);
        } else {
            history.push_complete(i as u64, invoke, at + g.after, inp, out);
        }
    }
    history
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn parsers_return_errors_instead_of_panicking(
        text in "[\\[\\]{}():#_\"\\\\ \n\t,;a-z0-9é-]{0,60}",
        prefix in prop::sample::select(vec!["", "{:process 0 :type :invoke :f ", "INFO  jepsen.util - 1 ", "{\"model\":\"kv\",\"ops\":["]),
    ) {
        let text = format!("{prefix}{text}");
        for format in [None, Some(Format::Json), Some(Format::Edn), Some(Format::EtcdLog)] {
            let _ = parse_history(&text, format, None);
        }
    }

    #[test]
    fn real_kv_executions_are_linearizable(gens in gens(14), partition in any::<bool>()) {
        let h = execute(&KvModel, &gens, kv_input, kv_output);
        let options = CheckOptions { partition, ..CheckOptions::default() };
        prop_assert_eq!(check(&KvModel, &h, &options).linearizable(), Some(true));
    }

    #[test]
    fn real_register_executions_are_linearizable(gens in gens(14)) {
        let h = execute(&RegisterModel, &gens, register_input, register_output);
        prop_assert_eq!(check(&RegisterModel, &h, &CheckOptions::default()).linearizable(), Some(true));
    }

    #[test]
    fn a_read_of_a_never_written_value_is_rejected(gens in gens(10), victim in any::<prop::sample::Index>()) {
        let mut h = execute(&RegisterModel, &gens, register_input, register_output);
        let reads: Vec<usize> = (0..h.len())
            .filter(|&i| h.ops[i].input == RegisterInput::Read && h.ops[i].complete.is_some())
            .collect();
        prop_assume!(!reads.is_empty());
        let i = reads[victim.index(reads.len())];
        h.ops[i].output = Some(RegisterOutput::Value(Some(-7)));
        prop_assert_eq!(check(&RegisterModel, &h, &CheckOptions::default()).linearizable(), Some(false));
    }

    #[test]
    fn partitioning_by_key_never_changes_the_verdict(
        gens in gens(10),
        flips in prop::collection::vec(any::<bool>(), 10),
    ) {
        // Start from a real execution and corrupt some get results, so both verdicts occur.
        let mut h = execute(&KvModel, &gens, kv_input, kv_output);
        for (op, flip) in h.ops.iter_mut().zip(&flips) {
            if let (true, Some(KvOutput::Value(v))) = (*flip, op.output.as_mut()) {
                v.push('!');
            }
        }
        let whole = CheckOptions { partition: false, ..CheckOptions::default() };
        let by_key = check(&KvModel, &h, &CheckOptions::default()).linearizable();
        prop_assert_eq!(by_key, check(&KvModel, &h, &whole).linearizable());
        prop_assert!(by_key.is_some());
    }
}
