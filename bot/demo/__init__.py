"""`retrobot demo`: the product played through its real handlers, with no Slack account.

It starts the local Slack stand-in and the real app over HTTP on 127.0.0.1, with a fresh
SQLite database and a demo app.yaml, then plays a team's week as its people would — every
step a signed request through Bolt's own verification — and prints what each person saw.
"""

from __future__ import annotations

import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import TextIO

from bot.app import create_app
from bot.config import load_config
from bot.demo.script import DEMO_APP_YAML, PEOPLE, DemoWeek
from bot.server import LocalServer, make_wsgi_app
from bot.services import open_services
from bot.settings import Settings
from bot.standin.sender import SlackSender
from bot.standin.web_api import FakeSlack

DEMO_SIGNING_SECRET = "demo-signing-secret"
DEMO_BOT_TOKEN = "xoxb-demo-token"


def run_demo(
    *,
    db_path: Path | None = None,
    keep: bool = False,
    out_dir: Path | None = None,
    seed: int = 7,
    stream: TextIO | None = None,
) -> int:
    """Play the demo; print the transcript; return the exit code."""
    out = stream or sys.stdout
    started = time.monotonic()
    workdir = Path(out_dir) if out_dir else Path(tempfile.mkdtemp(prefix="retrobot-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    database = Path(db_path) if db_path else workdir / "retrobot-demo.db"
    if database.exists():
        database.unlink()
    config_path = workdir / "app.yaml"
    config_path.write_text(DEMO_APP_YAML, encoding="utf-8")
    config = load_config(config_path)

    print("retrobot demo — a week of North Neighbourhood Team, played locally\n", file=out)
    with FakeSlack() as fake:
        for user_id, name in PEOPLE.items():
            fake.add_user(user_id, name=name)
        for team in config.teams:
            fake.add_channel(team.channel, members=team.member_ids)
        settings = Settings(
            bot_token=DEMO_BOT_TOKEN,
            signing_secret=DEMO_SIGNING_SECRET,
            slack_api_url=fake.url,
            database_url=f"sqlite:///{database}",
            config_path=config_path,
        )
        services = open_services(settings, config)
        try:
            with LocalServer(make_wsgi_app(create_app(services), services)) as server:
                sender = SlackSender(f"{server.url}/slack/events", DEMO_SIGNING_SECRET, fake)
                week = DemoWeek(fake, sender, services, random.Random(seed), out)
                week.play()
                transcript = week.transcript()
            transcript_path = workdir / "transcript.txt"
            transcript_path.write_text(transcript, encoding="utf-8")
            print("\n" + transcript, file=out)
            print("THE WEEK'S TEAM SUMMARY AND COACH DIGEST\n" + "=" * 40, file=out)
            charts = week.print_summaries(workdir)
        finally:
            services.engine.dispose()
    elapsed = time.monotonic() - started
    if keep or out_dir:
        print(f"\nDone in {elapsed:.1f} s. Files are in {workdir}:", file=out)
        print(f"  transcript  {transcript_path}\n  database    {database}", file=out)
        print(f"  app.yaml    {config_path}", file=out)
        for chart in charts:
            print(f"  chart       {chart}", file=out)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
        print(
            f"\nDone in {elapsed:.1f} s. Nothing was kept: run `retrobot demo --keep` to keep "
            "the transcript, charts and database.",
            file=out,
        )
    return 0
