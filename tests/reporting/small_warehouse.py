"""A small DuckDB warehouse with the tables the report reads (the shapes dbt builds), holding
hostile text (markup, quotes) so escaping is tested, two projects and a handful of exceptions.

The full marts come from dbt in the slow test (test_reports_on_sandbox.py); this one keeps the
default test tier fast.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

HOSTILE_NAME = "<script>alert('x')</script> & \"Partners\""
PERSONAL_EMAIL = "alan.petrov@example.com"

DDL = """
create schema core; create schema marts; create schema compliance; create schema seeds;
create schema dq;

create table core.dim_project as select * from (values
  ('P-1', 'Payroll move', 'Prog A', 'Portfolio X', 'active', 'delivery', 'pm@example.com',
   'E1', date '2026-01-01', date '2026-12-31', false),
  ('P/2', 'HOSTILE', 'Prog B', 'Portfolio X', 'active', 'initiation', null, null,
   date '2026-03-01', date '2027-03-01', false),
  ('UNMAPPED', 'Unknown or unmapped project', null, null, 'unknown', null, null, null, null,
   null, true)
) as t(project_code, project_name, program_name, portfolio_name, status, stage, manager_email,
       manager_person_id, start_date, finish_date, is_unknown_member);
update core.dim_project set project_name = $hostile where project_name = 'HOSTILE';

create table core.dim_person as select * from (values ('E1', 'Ada Manager'))
  as t(person_id, display_name);

create table compliance.fct_dq_exceptions as select * from (values
  ('k1', 'AP-03', 'high', 'invoice_line', 'V1|INV-1|1', 'finance', 'P-1', 'V1|INV-1|1',
   'invoices.csv', 12, null, 'invoices.csv, line 12', 'copies=2', timestamp '2026-11-02'),
  ('k2', 'AP-03', 'high', 'invoice_line', 'V1|INV-2|1', 'finance', 'P/2', 'V1|INV-2|1',
   'invoices.csv', 14, null, 'invoices.csv, line 14', 'copies=2', timestamp '2026-11-02'),
  ('k3', 'GV-08', 'low', 'raid_item', 'ABC-7', 'jira', 'P-1', 'ABC-7', null, null, null,
   'Jira ABC-7', 'type=risk', timestamp '2026-11-02'),
  ('k4', 'TS-08', 'high', 'time_entry', 'TS-1', 'finance', 'P/2', 'TS-1', 'timesheets.csv', 3,
   null, 'timesheets.csv, line 3', 'person=x', timestamp '2026-11-02')
) as t(exception_key, rule_id, severity, entity_type, entity_key, source_system, project_code,
       source_item_key, source_file, source_line, source_url, source_locator, evidence,
       detected_at);

create table compliance.exception_history as select
  exception_key, rule_id, severity, entity_type, entity_key, source_system, project_code,
  source_locator, source_url, evidence, true as is_open,
  date '2026-10-26' as first_detected_on, date '2026-11-02' as last_seen_on,
  cast(null as date) as resolved_on, 7 as age_days, 0 as reopened_count,
  timestamp '2026-10-26 06:00' as first_seen_run_at
from compliance.fct_dq_exceptions;
insert into compliance.exception_history values
  ('k0', 'AP-03', 'high', 'invoice_line', 'V9|OLD|1', 'finance', 'P-1', 'invoices.csv, line 9',
   null, 'copies=2', false, date '2026-10-26', date '2026-10-26', date '2026-11-02', 7, 0,
   timestamp '2026-10-26 06:00');

create table compliance.mart_compliance_summary as select * from (values
  ('AP-03', 'Exact duplicate invoice', 'high', 'AP', 2, 2, timestamp '2026-11-02'),
  ('GV-08', 'RAID item without owner', 'low', 'GV', 1, 1, timestamp '2026-11-02'),
  ('TS-08', 'Self-approved timesheet', 'high', 'TS', 1, 1, timestamp '2026-11-02'),
  ('AP-12', 'Invoice exceeds PO balance', 'high', 'AP', 0, 0, timestamp '2026-11-02')
) as t(rule_id, rule_name, severity, rule_family, exception_count, project_count, detected_at);

create table seeds.compliance_rule_config as select * from (values
  ('AP-03', 'amount_tolerance', 0.00, 'high', 'Exact duplicate invoice'),
  ('GV-08', 'enabled', 1, 'low', 'RAID item without owner'),
  ('TS-08', 'enabled', 1, 'high', 'Self-approved timesheet'),
  ('AP-12', 'tolerance_pct', 0.05, 'high', 'Invoice exceeds PO balance')
) as t(rule_id, param_name, param_value, severity, rule_name);

create table compliance.dq__ap_03 as select
  e.*, 2 as evidence_copies, date '2026-10-01' as evidence_invoice_date,
  1234.5 as evidence_amount
from compliance.fct_dq_exceptions as e where rule_id = 'AP-03';
create table compliance.dq__gv_08 as select
  e.*, 'risk' as evidence_type, 'Open' as evidence_status
from compliance.fct_dq_exceptions as e where rule_id = 'GV-08';
create table compliance.dq__ts_08 as select
  e.*, 'x***@example.com' as evidence_person, 'x***@example.com' as evidence_approver
from compliance.fct_dq_exceptions as e where rule_id = 'TS-08';
create table compliance.dq__ap_12 as select *, 1.0 as evidence_ordered
from compliance.fct_dq_exceptions where false;

create table marts.mart_portfolio_health as select * from (values
  ('P-1', 'Payroll move', 0.85, 0.92, 'Red', 'Green', 'Amber', 'Red', 12, 1, date '2026-10-30',
   true),
  ('P/2', 'HOSTILE', null, null, 'Green', 'Green', 'Green', null, 0, 0, date '2026-10-30', false)
) as t(project_code, project_name, cpi, spi, computed_rag, reported_rag, schedule_rag, cost_rag,
       schedule_days_late, overdue_milestone_count, last_status_date, is_rag_divergent);

update marts.mart_portfolio_health set project_name = $hostile where project_name = 'HOSTILE';

create table marts.mart_evm_project as select * from (values
  ('P-1', 1000.0, 800.0, 700.0, 823.53, -123.53, -100.0, 0.85, 0.92, 1176.47, 353.0, -176.47,
   1.1, 0.7, 0.82)
) as t(project_code, bac, pv, ev, ac, cv, sv, cpi, spi, eac_typical, etc, vac, tcpi,
       complete_pct, spent_pct);

create table marts.mart_budget_vs_actual as select * from (values
  ('P-1', '2026-09', 'labour', 400.0, 300.0, 50.0, 50.0),
  ('P-1', '2026-10', 'labour', 600.0, 523.53, 0.0, 76.47)
) as t(project_code, fiscal_period, cost_type, budget_amount, actual_amount, commitment_amount,
       funds_available);

create table core.fct_milestones as select * from (values
  ('P-1', 'plan.xml|42', 'Go-live', 12, 12, true, date '2026-10-21', date '2026-11-02', null)
) as t(project_code, milestone_display_key, milestone_name, slip_days, days_late, is_overdue,
       baseline_finish_date, forecast_finish_date, actual_finish_date);

create table marts.mart_vendor_spend as select * from (values
  ('Acme <b>GmbH</b>', 'P-1', 900.0, 100.0)
) as t(vendor_name, project_code, invoiced_amount, non_po_amount);

create table marts.mart_utilization as select * from (values
  ('E1', 'PMO', date '2026-10-19', 40.0, 1.0),
  ('E1', 'PMO', date '2026-10-26', 52.0, 1.3),
  ('E2', 'IT', date '2026-10-26', 10.0, 0.25)
) as t(person_id, department, iso_week_start, logged_hours, utilization_pct);

create table marts.mart_schedule_quality as select * from (values
  ('plan <a>.xml', 'P-1', date '2026-10-30', 'DCMA-01', 1, 'Logic', 20, 3, 0.15, 'max', 0.05,
   false, '4,9,12'),
  ('plan <a>.xml', 'P-1', date '2026-10-30', 'DCMA-02', 2, 'Leads', 18, 0, 0.0, 'max', 0.0,
   true, null)
) as t(file_name, project_code, status_date, check_id, check_number, check_name,
       population_count, failing_count, measured_value, comparison, threshold_value, is_pass,
       offending_task_uids);

create table core.fct_raid_items as select * from (values
  ('P-1', 'ABC-7', 'risk', 'Vendor may slip', 'Open', null, false, date '2026-09-01',
   date '2026-10-01', true, true)
) as t(project_code, raid_item_display_key, raid_type, description, status, owner_person_id,
       has_owner, raised_date, due_date, is_overdue, is_open);

create table dq.expectation_results (run_id varchar, checked_at timestamp, asset varchar,
  suite varchar, expectation varchar, column_name varchar, success boolean,
  is_critical boolean, unexpected_count bigint, element_count bigint, observed_value varchar,
  unexpected_sample varchar);
"""


def build(path: Path, masked_sample: str) -> Path:
    con = duckdb.connect(str(path))
    try:
        for statement in DDL.split(";"):
            if statement.strip():
                if "$hostile" in statement:
                    con.execute(statement.replace("$hostile", "?"), [HOSTILE_NAME])
                else:
                    con.execute(statement)
        con.execute(
            "insert into dq.expectation_results values "
            "('r1', timestamp '2026-11-02 06:00', 'raw_finance/timesheets', 'raw__ts', "
            "'expect_column_values_to_match_regex', 'person_email', false, false, 1, 10, null, ?),"
            "('r1', timestamp '2026-11-02 06:00', 'raw_finance/timesheets', 'raw__ts', "
            "'expect_column_values_to_not_be_null', 'hours', true, true, 0, 10, null, null)",
            [masked_sample],
        )
    finally:
        con.close()
    return path
