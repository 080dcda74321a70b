"""Write the demo project's sample documents into loratui/samples/ (run once, commit the output).

The files are generated rather than downloaded so their licence is ours. fpdf2 and python-docx
are test dependencies, which is why this lives in tools/ and the outputs are committed.
Run: .venv/bin/python tools/make_samples.py
"""

from __future__ import annotations

import re
from pathlib import Path

import docx
from fpdf import FPDF
from fpdf.enums import EncryptionMethod

OUT = Path(__file__).resolve().parents[1] / "loratui" / "samples"

PUMP_GUIDE = [
    (
        "1. Before you start",
        "This guide covers routine maintenance of the CP-40 series centrifugal pumps installed "
        "in the cooling loops of buildings A and C. Isolate the pump at the local isolator and "
        "lock it off before opening any cover. Close the suction and discharge valves and drain "
        "the casing into the sump. Wear gloves: the coolant contains a corrosion inhibitor that "
        "irritates the skin. Record the run-hours counter in the log book before and after the "
        "job.",
    ),
    (
        "2. Mechanical seal",
        "A weeping seal is normal during the first hour after a restart; a steady drip is not. "
        "Replace the seal when leakage exceeds ten drops per minute at operating temperature. "
        "Remove the coupling guard, slacken the coupling, and withdraw the back pull-out unit "
        "without disturbing the casing or pipework. Clean the shaft sleeve with a lint-free "
        "cloth and inspect it for scoring; a scored sleeve shortens the life of the new seal "
        "to a few weeks. Lubricate the O-rings with the grease supplied in the seal kit only.",
    ),
    (
        "3. Bearings and alignment",
        "Check bearing temperature with the handheld thermometer: up to 40 degrees above "
        "ambient is acceptable. Grease the motor bearings every 4,000 run-hours with two shots "
        "of lithium complex grease. After any work on the coupling, check alignment with the "
        "dial gauge: parallel offset under 0.05 mm and angular error under 0.05 mm per 100 mm. "
        "Misalignment is the most common cause of early bearing failure on these pumps.",
    ),
    (
        "4. Restart and hand-over",
        "Open the suction valve fully, vent the casing at the top plug until coolant runs clear, "
        "then open the discharge valve a quarter turn. Start the pump and open the discharge "
        "valve slowly while watching the pressure gauge. Listen for cavitation, a sound like "
        "gravel in the casing, and throttle back if you hear it. Note the differential pressure "
        "and motor current in the log and remove your lock only when the area is clean.",
    ),
]

INCIDENT_REVIEW = [
    (
        "Summary",
        "On 14 March the order service returned errors to 6 percent of requests for 47 minutes. "
        "The cause was a connection pool exhausted by a slow query introduced in release 3.18. "
        "No orders were lost: the clients retried and every failed request succeeded later. "
        "This review follows our blameless format: it describes what happened and what we "
        "change, not who was at fault.",
    ),
    (
        "Timeline",
        "09:12 release 3.18 reaches all regions. 09:31 p95 latency alarm fires. 09:35 the "
        "on-call engineer opens an incident and sees the pool at its limit of 50 connections. "
        "09:48 the slow query is identified from the database's statement statistics: a report "
        "query lost its index hint in a refactoring. 10:05 release 3.18 is rolled back. 10:19 "
        "latency and error rate are back to normal and the incident is closed.",
    ),
    (
        "What we change",
        "Query plans of the twenty most frequent statements are now checked in CI against a "
        "copy of production statistics. The pool saturation alarm fires at 80 percent instead "
        "of 100. Report queries move to the read replica. The rollback runbook gains a step "
        "to drain the pool before traffic returns, which would have saved about ten minutes.",
    ),
]

PAYROLL = [
    (
        "Payroll calendar 2025",
        "Salaries are paid on the 25th of each month, or on the last working day before it "
        "when the 25th falls on a weekend or public holiday. Expense claims approved by the "
        "15th are paid with the same month's salary. Overtime is paid one month in arrears.",
    ),
    (
        "Deadlines",
        "Changes of bank details must reach the payroll team by the 10th. Starters who sign "
        "their contract after the 12th are paid from the following month, with back pay. "
        "Leavers receive their final payslip and P45 within five working days of the last pay "
        "date.",
    ),
]


def make_pdf(path: Path, title: str, sections: list[tuple[str, str]], password: str | None = None):
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_author("loratui demo")
    pdf.set_creation_date(__import__("datetime").datetime(2025, 1, 1))
    if password:
        pdf.set_encryption(
            owner_password=password + "-owner",
            user_password=password,
            encryption_method=EncryptionMethod.AES_128,
        )
    for heading, body in sections:
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "B", 14)
        pdf.cell(0, 10, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        pdf.multi_cell(0, 6, body)
        pdf.ln(4)
        pdf.multi_cell(0, 6, body.split(". ")[0] + ".")
    pdf.output(str(path))


def make_docx(path: Path) -> None:
    d = docx.Document()
    d.core_properties.author = "loratui demo"
    d.add_heading("New starter checklist: platform team", level=1)
    d.add_paragraph(
        "Welcome to the platform team. This checklist covers your first two weeks. Your buddy "
        "ticks each item off with you; ask them whenever something is unclear."
    )
    d.add_heading("Accounts and access", level=2)
    table = d.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    hdr = table.rows[0].cells
    hdr[0].text, hdr[1].text, hdr[2].text = "Item", "Owner", "Due"
    rows = [
        ("Laptop with disk encryption enabled", "IT desk", "Day 1"),
        ("SSO account and hardware key", "IT desk", "Day 1"),
        ("Read access to the production dashboards", "Team lead", "Day 2"),
        ("On-call shadowing rota", "Buddy", "Week 2"),
        ("Cloud console role: developer", "Platform lead", "Week 1"),
    ]
    for item, owner, due in rows:
        cells = table.add_row().cells
        cells[0].text, cells[1].text, cells[2].text = item, owner, due
    d.add_heading("First tasks", level=2)
    for text in (
        "Deploy the hello-world service to staging using the standard pipeline.",
        "Fix one issue labelled good-first-issue and get it reviewed.",
        "Walk through the incident runbook with your buddy and run the failover drill.",
    ):
        d.add_paragraph(text, style="List Number")
    d.save(str(path))
    _slim_docx(path)


def _slim_docx(path: Path) -> None:
    """Drop the template's optional parts (Word 2010 style effects, thumbnail) to stay small."""
    import zipfile

    drop = {"word/stylesWithEffects.xml", "docProps/thumbnail.jpeg"}
    with zipfile.ZipFile(path) as src:
        items = [(i, src.read(i.filename)) for i in src.infolist() if i.filename not in drop]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for info, data in items:
            if info.filename.endswith(".rels") or info.filename == "[Content_Types].xml":
                text = data.decode("utf-8")
                for name in drop:
                    base = name.split("/")[-1]
                    pattern = r"<(Relationship|Override)[^>]*" + re.escape(base) + r'"[^>]*/>'
                    text = re.sub(pattern, "", text)
                data = text.encode("utf-8")
            out.writestr(info.filename, data)


MARKDOWN = """# Release notes: ingest service 2.4

## New
- Documents larger than 200 MB are rejected early with a clear error instead of timing out.
- The `/health` endpoint reports the queue depth and the age of the oldest job.

## Fixed
- Retrying a failed job no longer resets its attempt counter.
- Unicode file names with combining characters are stored under their NFC form.

## Upgrading
Run the database migration before starting the new version:

```sh
ingest migrate --to 2.4
```

The migration adds an index on `jobs(state, not_before)` and takes about a minute per
million rows. It can run while the old version is serving traffic.
"""

TEXT = """Weekly sync - data platform - 3 June

Attendees: Priya, Tom, Ana, Kenji

1. Backfill of the events table
   Finished on Friday. 1.2 billion rows, no gaps found by the reconciliation job. Tom will
   delete the temporary tables on Wednesday after one more check.

2. Cost review
   Storage grew 18 percent last month, mostly raw logs kept beyond their 30-day retention
   because the lifecycle rule pointed at the old bucket. Ana fixed the rule; expected saving
   is about 2,000 per month.

3. On-call
   Two pages last week, both from the flaky disk alarm on the staging cluster. Kenji will
   raise the threshold and add a runbook link to the alert.

Actions
- Tom: drop the backfill temp tables (Wed)
- Ana: confirm the lifecycle rule ran (Fri)
- Kenji: tune the staging disk alarm (Thu)
"""


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    make_pdf(OUT / "pump-maintenance-guide.pdf", "CP-40 pump maintenance guide", PUMP_GUIDE)
    make_pdf(OUT / "incident-review-2025-03.pdf", "Incident review: order service", INCIDENT_REVIEW)
    make_pdf(OUT / "payroll-calendar-protected.pdf", "Payroll calendar", PAYROLL, password="demo")
    make_docx(OUT / "new-starter-checklist.docx")
    (OUT / "release-notes-2.4.md").write_text(MARKDOWN, encoding="utf-8")
    (OUT / "meeting-notes-2025-06-03.txt").write_text(TEXT, encoding="utf-8")
    for p in sorted(OUT.iterdir()):
        print(f"{p.name}\t{p.stat().st_size} bytes")


if __name__ == "__main__":
    main()
