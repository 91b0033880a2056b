"""``forum bench --mysql-drivers``: each flavour runs once per listed driver of its kind (nothing is measured here)."""

from __future__ import annotations

import pytest

from loadtests.bench import FLAVOURS, parse_args


def test_each_flavour_runs_on_each_driver_of_its_kind() -> None:
    options = parse_args(["--quick", "--mysql-drivers", "aiomysql,asyncmy,pymysql,mysqlclient"])
    runs = [run for name in options.flavours for run in FLAVOURS[name].on_drivers(options.mysql_drivers)]
    assert [(run.name, run.mysql_driver) for run in runs] == [
        ("hello-tornado", ""), ("hello-flask", ""),                       # the ceilings use no database
        ("tornado+aiomysql", "aiomysql"), ("tornado+asyncmy", "asyncmy"),
        ("gunicorn-sync+pymysql", "pymysql"), ("gunicorn-sync+mysqlclient", "mysqlclient")]


def test_a_kind_with_no_driver_listed_keeps_its_default() -> None:
    assert [run.name for run in FLAVOURS["wsgi-container"].on_drivers(["asyncmy"])] == ["wsgi-container"]


def test_an_unknown_driver_is_refused() -> None:
    with pytest.raises(SystemExit):
        parse_args(["--mysql-drivers", "mysqldb"])
