"""The README's command-line section, run as printed.

Every command of the ```bash block under "The command line" runs in order, through bash,
from the root of a copy of the project with the default folders (corpus/, index/) and no
ASSISTANT_* variables, as a new user would run them after `make test`. The copy starts
without an index, and `minutes.pdf`, which the README adds, is a fixture of our own made
here. When the README changes, this test follows it.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

from fpdf import FPDF

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
# Minutes of an imaginary committee, written for this test.
MINUTES = [
    ("Riverbank District Council", "Minutes of the Children's Services Committee, 4 March 2024"),
    ("Present", "Councillors A. Moss (Chair), B. Lark, C. Reed and D. Wren."),
    ("1. Youth centres", "The committee noted that the three youth centres recorded 4,310 visits in 2023, "
                         "up from 3,980 in 2022. The committee agreed to open the Quayside centre on Saturdays "
                         "from June 2024, led by the Youth Services Manager."),
    ("2. School transport", "The cost of school transport rose to 1.4 million pounds in 2023-24. Officers will "
                            "report on route changes to the September meeting."),
]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## The command line", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL)
    assert block, "the README's command-line section has no ```bash block"
    return [line for line in block.group(1).splitlines() if line.strip() and not line.lstrip().startswith("#")]


def write_minutes(path: Path) -> None:
    pdf = FPDF()
    pdf.set_title("Children's Services Committee minutes")
    pdf.add_page()
    for heading, body in MINUTES:
        pdf.set_font("Helvetica", "B", 13)
        pdf.multi_cell(0, 8, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, body, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    pdf.output(str(path))


def test_every_readme_command_runs_as_printed(project_copy: Path) -> None:
    project = project_copy
    write_minutes(project / "minutes.pdf")
    commands = readme_commands()
    assert len(commands) >= 10, commands
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    ARTIFACTS.mkdir(exist_ok=True)
    log = []
    for command in commands:
        t0 = time.perf_counter()
        # `chat` reads questions from the terminal: one question, then /quit.
        proc = subprocess.run(["bash", "-c", command], cwd=project, env=env, capture_output=True, text=True,
                              input="How did Kinship Care numbers change?\n/quit\n", timeout=600)
        log.append(f"$ {command}\n# exit {proc.returncode} in {time.perf_counter() - t0:.1f} s\n{proc.stdout}{proc.stderr}")
        output = proc.stdout + proc.stderr
        assert proc.returncode == 0, f"{command!r} exited {proc.returncode}:\n{output}"
        assert "unexpected" not in output and "Traceback" not in output, f"{command!r}:\n{output}"
    (ARTIFACTS / "readme-commands.log").write_text(f"ran {len(commands)} README commands\n\n" + "\n".join(log),
                                                   encoding="utf-8")
    outputs = dict(zip(commands, log))
    added = next(out for cmd, out in outputs.items() if " add minutes.pdf" in cmd)
    assert "Added minutes.pdf" in added
    shown = next(out for cmd, out in outputs.items() if " text minutes.pdf" in cmd)
    assert "4,310 visits" in shown
    assert not (project / "corpus" / "minutes.pdf").exists()  # the README's `remove` took it out again
    evaluated = next(out for cmd, out in outputs.items() if " eval " in cmd)
    assert re.search(r"evidence hit \d+/\d+", evaluated), evaluated
