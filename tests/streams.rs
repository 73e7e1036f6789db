//! A live stream: a Python process that writes records with one reused `pickle.Pickler` to a
//! pipe, flushing after each, read as they come by `Deserializer::from_reader(..)
//! .keep_memo(true)` into typed structs. The later records refer to the first one's keys and
//! shared values through the memo, and the reader must neither read past a STOP (it would
//! block on a pipe the writer keeps open) nor lose what an earlier pickle memoized.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use serde::Deserialize;

#[derive(Deserialize, Debug, PartialEq)]
struct Record {
    id: u32,
    name: String,
    tags: Vec<String>,
    owner: Owner,
}

#[derive(Deserialize, Debug, PartialEq)]
struct Owner {
    team: String,
}

/// The writer sends one record per line it reads on stdin, so each is read before the next
/// is written: a reader that waited for more than one pickle would hang here.
const WRITER: &str = r#"
import pickle, sys
out = sys.stdout.buffer
p = pickle.Pickler(out, int(sys.argv[1]))
owner = {'team': 'core'}
tags = ['red', 'green']
for line in sys.stdin:
    i = int(line)
    p.dump({'id': i, 'name': 'user%d' % i, 'tags': tags if i % 2 else ['blue'], 'owner': owner})
    out.flush()
"#;

#[test]
fn records_from_a_live_pipe_share_the_writers_memo() {
    for protocol in 0..=5 {
        let mut child = Command::new("python3")
            .args(["-c", WRITER, &protocol.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("this test needs python3 on PATH");
        let mut to_writer = child.stdin.take().unwrap();
        let from_writer = BufReader::new(child.stdout.take().unwrap());
        let mut de = pypickle::Deserializer::from_reader(from_writer).keep_memo(true);
        for i in 0..50u32 {
            writeln!(to_writer, "{i}").unwrap();
            to_writer.flush().unwrap();
            let r: Record = de
                .next_value()
                .unwrap_or_else(|e| panic!("protocol {protocol}, record {i}: {e}"))
                .expect("a record");
            let tags: &[&str] = if i % 2 == 1 {
                &["red", "green"]
            } else {
                &["blue"]
            };
            assert_eq!(
                r,
                Record {
                    id: i,
                    name: format!("user{i}"),
                    tags: tags.iter().map(|t| t.to_string()).collect(),
                    owner: Owner {
                        team: "core".into()
                    },
                },
                "protocol {protocol}"
            );
        }
        drop(to_writer);
        assert_eq!(
            de.next_value::<Record>().unwrap(),
            None,
            "protocol {protocol}"
        );
        assert!(child.wait().unwrap().success());
        // The reader is left where the writer stopped.
        let mut rest = String::new();
        de.into_inner().read_line(&mut rest).unwrap();
        assert_eq!(rest, "");
    }
}
