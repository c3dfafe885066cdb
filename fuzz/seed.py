#!/usr/bin/env python3
"""Seed each fuzz target's corpus with every fixture of the project (run from anywhere).

A seed is the target's format byte followed by the file (see targets.rs): spreadsheets go to
`sheet`, CSV/TSV to `csv`, JSON/JSON Lines to `json`, and every file to `check`.
"""
import hashlib, pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
SHEETS = ['xlsx', 'xlsb', 'xls', 'ods']
EVERY = ['xlsx', 'xlsm', 'xlsb', 'xls', 'ods', 'csv', 'tsv', 'json', 'jsonl']
TARGETS = {
    'sheet': SHEETS,
    'csv': ['csv', 'tsv'],
    'json': ['json', 'jsonl'],
    'check': EVERY,
}
ALIASES = {'xlsm': 'xlsx', 'ndjson': 'jsonl', 'tab': 'tsv'}

def main():
    files = [p for d in ('tests/fixtures', 'sample_data') for p in (ROOT / d).rglob('*') if p.is_file()]
    for target, formats in TARGETS.items():
        out = ROOT / 'fuzz' / 'corpus' / target
        out.mkdir(parents=True, exist_ok=True)
        n = 0
        for p in files:
            ext = p.suffix.lower().lstrip('.')
            ext = ext if ext in formats else ALIASES.get(ext, ext)
            if ext not in formats:
                continue
            data = bytes([formats.index(ext)]) + p.read_bytes()
            if len(data) > 1 << 20:
                continue
            (out / hashlib.sha1(data).hexdigest()).write_bytes(data)
            n += 1
        print(f'{target}: {n} seeds')

if __name__ == '__main__':
    main()
