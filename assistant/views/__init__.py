"""Structured views of the passages, read at ingest and used by answers and pages.

* `cells`, `commitments`: what the plans commit to (action-plan rows and "We will" statements);
* `figure_values`, `phrases`, `figures`, `series`: figures in prose and tables, linked into series over time;
* `periods`: dates, periods and schedules as reports write them;
* `cache`: the views file written at ingest, loaded once per loaded index.
"""
