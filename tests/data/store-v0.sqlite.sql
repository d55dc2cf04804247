PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE unit (
	src VARCHAR(500) NOT NULL, 
	content_hash VARCHAR(64) NOT NULL, 
	ingest_id INTEGER NOT NULL, 
	id VARCHAR(64) NOT NULL, 
	attrs JSON NOT NULL, 
	name VARCHAR NOT NULL, 
	type VARCHAR NOT NULL, 
	parent VARCHAR, 
	PRIMARY KEY (id)
);
INSERT INTO unit VALUES('f.jsonl:1','4c4a08ed957b12443958ab605494c06156813be206e67bf2d27bd4b95f1cf2e7',1,'U-COUNTY','{}','中共溆浦县委员会','county_committee',NULL);
INSERT INTO unit VALUES('f.jsonl:2','41d8901a1c6a3022a6956f11583df413b0a8cf839fe1bc9452278e7099c0162d',1,'U-COAL','{}','县煤炭局','county_organ','U-COUNTY');
INSERT INTO unit VALUES('f.jsonl:15','806dec2c92a09d0917a1d63c0c9fcac311f09e3fabf2936041bdb6e07ae82b1b',1,'U1','{}','卢峰镇','township',NULL);
CREATE TABLE person (
	src VARCHAR(500) NOT NULL, 
	content_hash VARCHAR(64) NOT NULL, 
	ingest_id INTEGER NOT NULL, 
	id VARCHAR(64) NOT NULL, 
	attrs JSON NOT NULL, 
	name VARCHAR NOT NULL, 
	unit VARCHAR NOT NULL, 
	category VARCHAR, 
	PRIMARY KEY (id)
);
INSERT INTO person VALUES('f.jsonl:3','5edf83327887aa95380b4f06c46c23c121219669d8d12d8f9a303e43e51887d6',1,'P-SEC','{}','张建国','U-COAL','organ_secretary');
INSERT INTO person VALUES('f.jsonl:4','ac035da97806ad5a9cb66c0b4a588ab8fbb5a44f3b220b6e61f28a6500b0e046',1,'P-DIS','{}','李纪明','U-COAL','grassroots_committee_member');
INSERT INTO person VALUES('f.jsonl:5','a3e9d7c837e899fe9d2f148ea5cef06362be41f376e6e18435956f51fc786843',1,'P-OLD','{}','赵前任','U-COAL','organ_secretary');
INSERT INTO person VALUES('f.jsonl:6','f7d4550105f7e24b14a36b453ede91880c66f6402bfe2f9dbb9d03ab1824d796',1,'S1','{}','王一','U-COAL',NULL);
INSERT INTO person VALUES('f.jsonl:7','aa152842854a19c454c322fbaa6638a71ca73c9a8898b65da57eb3ebee28283d',1,'S2','{}','王二','U-COAL',NULL);
INSERT INTO person VALUES('f.jsonl:8','34a6615d9ff08ad386a6f45843f8535906658383b9ea70258572571e1f858ddf',1,'S3','{}','王三','U-COAL',NULL);
INSERT INTO person VALUES('f.jsonl:16','597cf166eaceed7eb8eb24e929edc927b09ccc0739fe2ce4c06261b6c9794664',1,'P1','{}','刘支书','U1','branch_secretary');
INSERT INTO person VALUES('f.jsonl:17','cca3d9665c31e03ac4833ad009e84e4be7f34df9e11e47947f7670989f772d22',1,'P2','{}','邓支书','U1','branch_secretary');
INSERT INTO person VALUES('f.jsonl:18','0cd77e310420c09f0346ecb300721a121beec8f49d557be3f0ca04f0332c39d5',1,'L1','{}','向县长','U1','county_leader');
CREATE TABLE post (
	src VARCHAR(500) NOT NULL, 
	content_hash VARCHAR(64) NOT NULL, 
	ingest_id INTEGER NOT NULL, 
	id VARCHAR(64) NOT NULL, 
	attrs JSON NOT NULL, 
	person VARCHAR NOT NULL, 
	unit VARCHAR NOT NULL, 
	role VARCHAR NOT NULL, 
	start DATE NOT NULL, 
	"end" DATE, 
	PRIMARY KEY (id)
);
INSERT INTO post VALUES('f.jsonl:9','45af0489994f1cc3d9fd4eebd92c0307fb6df924e3a9dc633f737e5932427506',1,'PO-P-OLD-U-COAL-2019-01-01','{}','P-OLD','U-COAL','secretary','2019-01-01','2025-06-30');
INSERT INTO post VALUES('f.jsonl:10','11558d1d2c56bab41d57d6a46527d51560a9943294488b5e1c239519155f7013',1,'PO-P-SEC-U-COAL-2025-07-01','{}','P-SEC','U-COAL','secretary','2025-07-01',NULL);
INSERT INTO post VALUES('f.jsonl:11','49a02a3e7b25b6f824edfc7ad2ae336062173e673591c853ddca6bde3801cf29',1,'PO-P-DIS-U-COAL-2021-01-01','{}','P-DIS','U-COAL','discipline_secretary','2021-01-01',NULL);
INSERT INTO post VALUES('f.jsonl:12','3dfa811cd3ffb4d6f10490a5e8bc9aeb7a63001ae07b0b0f736d3fb9a187a0c1',1,'PO-S1-U-COAL-2021-01-01','{}','S1','U-COAL','member','2021-01-01',NULL);
INSERT INTO post VALUES('f.jsonl:19','5851385220f632f30220a499d3107ed1ddee7e26659d6aa7a955d73ca795b340',1,'PO-P1-U1-2020-01-01','{}','P1','U1','secretary','2020-01-01',NULL);
CREATE TABLE ledger (
	src VARCHAR(500) NOT NULL, 
	content_hash VARCHAR(64) NOT NULL, 
	ingest_id INTEGER NOT NULL, 
	id VARCHAR(64) NOT NULL, 
	attrs JSON NOT NULL, 
	person VARCHAR NOT NULL, 
	period VARCHAR NOT NULL, 
	task VARCHAR NOT NULL, 
	status VARCHAR NOT NULL, 
	verdict VARCHAR NOT NULL, 
	date DATE NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO ledger VALUES('f.jsonl:20','a771ba339919403930a0bd4daf5440dae7ceefd9b56c933dbcc094dcf6575f8e',1,'LG1','{}','P1','2026-04','bs01','partial','fail','2026-04-02');
CREATE TABLE inspection (
	src VARCHAR(500) NOT NULL, 
	content_hash VARCHAR(64) NOT NULL, 
	ingest_id INTEGER NOT NULL, 
	id VARCHAR(64) NOT NULL, 
	attrs JSON NOT NULL, 
	unit VARCHAR NOT NULL, 
	person VARCHAR, 
	date DATE NOT NULL, 
	"group" VARCHAR NOT NULL, 
	mode VARCHAR NOT NULL, 
	problem VARCHAR NOT NULL, 
	severity VARCHAR NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO inspection VALUES('f.jsonl:13','efae57b9c2416a1b28ced7612ef06dd7b22e24129ac3438400205749ff5c081e',1,'I-1','{}','U-COAL',NULL,'2026-02-26','春节后作风纪律专项督查组','special','上班时间打牌赌博','serious');
CREATE TABLE reminder (
	src VARCHAR(500) NOT NULL, 
	content_hash VARCHAR(64) NOT NULL, 
	ingest_id INTEGER NOT NULL, 
	id VARCHAR(64) NOT NULL, 
	attrs JSON NOT NULL, 
	person VARCHAR NOT NULL, 
	issuer VARCHAR NOT NULL, 
	date DATE NOT NULL, 
	matter VARCHAR NOT NULL, 
	due DATE, 
	PRIMARY KEY (id)
);
INSERT INTO reminder VALUES('f.jsonl:21','94a196fd71b7bb78b90d499930407c0e410ad27a01f6712a0404c1a6ca29df09',1,'RM1','{}','P1','L1','2026-04-10','支部工作计划未按时制定','2026-07-10');
CREATE TABLE rectification (
	src VARCHAR(500) NOT NULL, 
	content_hash VARCHAR(64) NOT NULL, 
	ingest_id INTEGER NOT NULL, 
	id VARCHAR(64) NOT NULL, 
	attrs JSON NOT NULL, 
	reminder VARCHAR NOT NULL, 
	person VARCHAR NOT NULL, 
	date DATE NOT NULL, 
	effective BOOLEAN NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO rectification VALUES('f.jsonl:22','6e8a46b1092bf0554a91a1b1294b8f21027b1db294d225224ec604844b6378f5',1,'RC1','{}','RM1','P1','2026-05-12',0);
CREATE TABLE violation (
	src VARCHAR(500) NOT NULL, 
	content_hash VARCHAR(64) NOT NULL, 
	ingest_id INTEGER NOT NULL, 
	id VARCHAR(64) NOT NULL, 
	attrs JSON NOT NULL, 
	unit VARCHAR NOT NULL, 
	actors JSON NOT NULL, 
	date DATE NOT NULL, 
	category VARCHAR NOT NULL, 
	severity VARCHAR NOT NULL, 
	case_filed BOOLEAN NOT NULL, 
	description VARCHAR, 
	PRIMARY KEY (id)
);
INSERT INTO violation VALUES('f.jsonl:14','3f443af08e613bc32522974ba8810eedae2dde436fc2265247794a8c245e409f',1,'V-GAMBLE','{}','U-COAL','["S1", "S2", "S3"]','2026-02-26','work_discipline','serious',0,'工作时间在办公室打牌赌博');
CREATE TABLE disunity (
	src VARCHAR(500) NOT NULL, 
	content_hash VARCHAR(64) NOT NULL, 
	ingest_id INTEGER NOT NULL, 
	id VARCHAR(64) NOT NULL, 
	attrs JSON NOT NULL, 
	unit VARCHAR NOT NULL, 
	date DATE NOT NULL, 
	affects_work BOOLEAN NOT NULL, 
	public_reaction BOOLEAN NOT NULL, 
	source VARCHAR, 
	PRIMARY KEY (id)
);
CREATE TABLE evaluation (
	src VARCHAR(500) NOT NULL, 
	content_hash VARCHAR(64) NOT NULL, 
	ingest_id INTEGER NOT NULL, 
	id VARCHAR(64) NOT NULL, 
	attrs JSON NOT NULL, 
	person VARCHAR NOT NULL, 
	year INTEGER NOT NULL, 
	approval FLOAT NOT NULL, 
	rank INTEGER, 
	grade VARCHAR NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE proposal (
	src VARCHAR(500) NOT NULL, 
	content_hash VARCHAR(64) NOT NULL, 
	ingest_id INTEGER NOT NULL, 
	id VARCHAR(64) NOT NULL, 
	attrs JSON NOT NULL, 
	person VARCHAR NOT NULL, 
	proposer VARCHAR NOT NULL, 
	date DATE NOT NULL, 
	reason VARCHAR NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE accountability (
	src VARCHAR(500) NOT NULL, 
	content_hash VARCHAR(64) NOT NULL, 
	ingest_id INTEGER NOT NULL, 
	id VARCHAR(64) NOT NULL, 
	attrs JSON NOT NULL, 
	person VARCHAR NOT NULL, 
	date DATE NOT NULL, 
	form VARCHAR NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE fact_version (
	pk INTEGER NOT NULL, 
	kind VARCHAR NOT NULL, 
	id VARCHAR NOT NULL, 
	content JSON NOT NULL, 
	src VARCHAR NOT NULL, 
	content_hash VARCHAR NOT NULL, 
	ingest_id INTEGER NOT NULL, 
	superseded_by_ingest INTEGER NOT NULL, 
	PRIMARY KEY (pk)
);
CREATE TABLE ingest_batch (
	id INTEGER NOT NULL, 
	started DATETIME NOT NULL, 
	files JSON NOT NULL, 
	loaded JSON NOT NULL, 
	replaced INTEGER NOT NULL, 
	rejected INTEGER NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO ingest_batch VALUES(1,'2026-11-25 09:24:07.425738','["/tmp/v0/f.jsonl"]','{"unit": 3, "person": 9, "post": 5, "ledger": 1, "inspection": 1, "reminder": 1, "rectification": 1, "violation": 1}',0,0);
CREATE TABLE recommendation (
	id VARCHAR(40) NOT NULL, 
	run_id INTEGER NOT NULL, 
	person VARCHAR NOT NULL, 
	person_name VARCHAR NOT NULL, 
	unit VARCHAR NOT NULL, 
	circumstance INTEGER NOT NULL, 
	responsibility VARCHAR NOT NULL, 
	degree VARCHAR NOT NULL, 
	form VARCHAR NOT NULL, 
	proposer VARCHAR NOT NULL, 
	rule VARCHAR NOT NULL, 
	rule_version INTEGER NOT NULL, 
	conduct_date DATE NOT NULL, 
	status VARCHAR NOT NULL, 
	evidence JSON NOT NULL, 
	explanation JSON NOT NULL, 
	rulebook_hash VARCHAR(64) NOT NULL, 
	created DATETIME NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO recommendation VALUES('R0226F433E0BF665',1,'P-DIS','李纪明','U-COAL',3,'supervisory','main','circulated_criticism','discipline_commission','c3-several-staff-violation',1,'2026-02-26','pending','["violation:V-GAMBLE"]','{"rule_id": "c3-several-staff-violation", "rule_version": 1, "rule_title": "\u6cbb\u515a\u7ba1\u515a\u4e0d\u4e25\uff0c\u672c\u5355\u4f4d\u591a\u540d\u5de5\u4f5c\u4eba\u5458\u53d1\u751f\u8f83\u91cd\u4ee5\u4e0a\u8fdd\u7eaa\u95ee\u9898", "rule_file": "c3_several_staff_violation.yaml", "circumstance": 3, "circumstance_label": "\u6cbb\u515a\u7ba1\u515a\u4e0d\u4e25\uff0c\u81f4\u4f7f\u672c\u5355\u4f4d\u95ee\u9898\u591a\u53d1\u3001\u4e0d\u6b63\u4e4b\u98ce\u8513\u5ef6\uff0c\u751a\u81f3\u53d1\u751f\u4e25\u91cd\u8d2a\u8150\u95ee\u9898", "severity": "serious", "basis": [{"document": "\u300a\u6e86\u6d66\u53bf\u515a\u5458\u9886\u5bfc\u5e72\u90e8\u843d\u5b9e\u201c\u5168\u9762\u4ece\u4e25\u6cbb\u515a\u201d\u8d23\u4efb\u5206\u5de5\u300b", "article": "\u95ee\u8d23\u60c5\u5f62\u7b2c\u4e09\u9879", "text": "\u6cbb\u515a\u7ba1\u515a\u4e0d\u4e25\u81f4\u4f7f\u672c\u5355\u4f4d\u95ee\u9898\u591a\u53d1\u3001\u4e0d\u6b63\u4e4b\u98ce\u8513\u5ef6\uff0c\u751a\u81f3\u53d1\u751f\u4e25\u91cd\u8d2a\u8150\u95ee\u9898\u7684\uff0c\u5e94\u5f53\u95ee\u8d23\u3002"}, {"document": "\u300a\u4e2d\u56fd\u5171\u4ea7\u515a\u95ee\u8d23\u6761\u4f8b\u300b\uff082019\u5e74\u4fee\u8ba2\uff09", "article": "\u7b2c\u4e03\u6761\u7b2c\uff08\u516d\uff09\u9879", "text": "\u515a\u7684\u7eaa\u5f8b\u5efa\u8bbe\u6293\u5f97\u4e0d\u4e25\uff0c\u7ef4\u62a4\u515a\u7684\u653f\u6cbb\u7eaa\u5f8b\u548c\u653f\u6cbb\u89c4\u77e9\u5931\u804c\u5931\u8d23\uff0c\u5bfc\u81f4\u8fdd\u89c4\u8fdd\u7eaa\u884c\u4e3a\u591a\u53d1\uff0c\u9020\u6210\u6076\u52a3\u5f71\u54cd\u7684\uff0c\u5e94\u5f53\u4e88\u4ee5\u95ee\u8d23\u3002"}], "conduct_date": "2026-02-26", "as_of": "2026-11-25", "subject": {"id": "P-DIS", "name": "\u674e\u7eaa\u660e", "category": "grassroots_committee_member", "category_label": "\u57fa\u5c42\u515a\u59d4\uff08\u515a\u7ec4\uff09\u73ed\u5b50\u6210\u5458"}, "post": {"post_id": "PO-P-DIS-U-COAL-2021-01-01", "unit": "U-COAL", "unit_name": "\u53bf\u7164\u70ad\u5c40", "role": "discipline_secretary", "role_label": "\u7eaa\u59d4\u4e66\u8bb0\uff08\u7eaa\u68c0\u7ec4\u957f\uff09", "start": "2021-01-01", "end": null}, "responsibility": "supervisory", "responsibility_label": "\u76d1\u7763\u8d23\u4efb", "degree": "main", "degree_label": "\u76d1\u7763\u8d23\u4efb", "evidence": [{"alias": "violation", "kind": "violation", "id": "V-GAMBLE", "src": "f.jsonl:14", "date": "2026-02-26", "summary": "2026\u5e742\u670826\u65e5\uff0c\u53bf\u7164\u70ad\u5c40\u738b\u4e00\u3001\u738b\u4e8c\u3001\u738b\u4e09\u5de5\u4f5c\u65f6\u95f4\u5728\u529e\u516c\u5ba4\u6253\u724c\u8d4c\u535a\uff08\u5de5\u4f5c\u7eaa\u5f8b\uff0c\u8f83\u91cd\uff09", "fields": {"id": "V-GAMBLE", "attrs": {}, "unit": "U-COAL", "actors": ["S1", "S2", "S3"], "date": "2026-02-26", "category": "work_discipline", "severity": "serious", "case_filed": false, "description": "\u5de5\u4f5c\u65f6\u95f4\u5728\u529e\u516c\u5ba4\u6253\u724c\u8d4c\u535a"}}], "factors": [], "steps": [{"step": "base", "before": null, "after": "circulated_criticism", "reason": "\u95ee\u8d23\u60c5\u5f623\uff0c\u60c5\u8282\u8f83\u91cd\uff0c\u57fa\u51c6\u95ee\u8d23\u65b9\u5f0f\u4e3a\u901a\u62a5\u6279\u8bc4", "ref": null}, {"step": "combined", "before": "circulated_criticism", "after": "warning", "reason": "\u6cbb\u515a\u7ba1\u515a\u4e0d\u4e25\u81f4\u4f7f\u53d1\u751f\u8f83\u91cd\u4ee5\u4e0a\u95ee\u9898\uff0c\u4f9d\u636e\u89c4\u5b9a\u5408\u5e76\u5efa\u8bae\u7ed9\u4e88\u515a\u5185\u8b66\u544a\u5904\u5206", "ref": null}], "base_form": "circulated_criticism", "forms": ["circulated_criticism", "warning"], "form_labels": ["\u901a\u62a5\u6279\u8bc4", "\u515a\u5185\u8b66\u544a"], "proposer": "discipline_commission", "proposer_label": "\u4e2d\u5171\u6e86\u6d66\u53bf\u7eaa\u5f8b\u68c0\u67e5\u59d4\u5458\u4f1a", "decider": "discipline_commission", "decider_label": "\u4e2d\u5171\u6e86\u6d66\u53bf\u7eaa\u5f8b\u68c0\u67e5\u59d4\u5458\u4f1a", "proposer_may_impose": false, "route": "accountability", "route_note": null, "rulebook_hash": "f3b7df355cdc381f5004dff8b21e89dcc71bd160a3caa03333785f696f5a5532"}','f3b7df355cdc381f5004dff8b21e89dcc71bd160a3caa03333785f696f5a5532','2026-11-25 09:24:07.670789');
INSERT INTO recommendation VALUES('R5C77D08DBBB602D',1,'P-SEC','张建国','U-COAL',3,'leadership','main','circulated_criticism','discipline_commission','c3-several-staff-violation',1,'2026-02-26','pending','["violation:V-GAMBLE"]','{"rule_id": "c3-several-staff-violation", "rule_version": 1, "rule_title": "\u6cbb\u515a\u7ba1\u515a\u4e0d\u4e25\uff0c\u672c\u5355\u4f4d\u591a\u540d\u5de5\u4f5c\u4eba\u5458\u53d1\u751f\u8f83\u91cd\u4ee5\u4e0a\u8fdd\u7eaa\u95ee\u9898", "rule_file": "c3_several_staff_violation.yaml", "circumstance": 3, "circumstance_label": "\u6cbb\u515a\u7ba1\u515a\u4e0d\u4e25\uff0c\u81f4\u4f7f\u672c\u5355\u4f4d\u95ee\u9898\u591a\u53d1\u3001\u4e0d\u6b63\u4e4b\u98ce\u8513\u5ef6\uff0c\u751a\u81f3\u53d1\u751f\u4e25\u91cd\u8d2a\u8150\u95ee\u9898", "severity": "serious", "basis": [{"document": "\u300a\u6e86\u6d66\u53bf\u515a\u5458\u9886\u5bfc\u5e72\u90e8\u843d\u5b9e\u201c\u5168\u9762\u4ece\u4e25\u6cbb\u515a\u201d\u8d23\u4efb\u5206\u5de5\u300b", "article": "\u95ee\u8d23\u60c5\u5f62\u7b2c\u4e09\u9879", "text": "\u6cbb\u515a\u7ba1\u515a\u4e0d\u4e25\u81f4\u4f7f\u672c\u5355\u4f4d\u95ee\u9898\u591a\u53d1\u3001\u4e0d\u6b63\u4e4b\u98ce\u8513\u5ef6\uff0c\u751a\u81f3\u53d1\u751f\u4e25\u91cd\u8d2a\u8150\u95ee\u9898\u7684\uff0c\u5e94\u5f53\u95ee\u8d23\u3002"}, {"document": "\u300a\u4e2d\u56fd\u5171\u4ea7\u515a\u95ee\u8d23\u6761\u4f8b\u300b\uff082019\u5e74\u4fee\u8ba2\uff09", "article": "\u7b2c\u4e03\u6761\u7b2c\uff08\u516d\uff09\u9879", "text": "\u515a\u7684\u7eaa\u5f8b\u5efa\u8bbe\u6293\u5f97\u4e0d\u4e25\uff0c\u7ef4\u62a4\u515a\u7684\u653f\u6cbb\u7eaa\u5f8b\u548c\u653f\u6cbb\u89c4\u77e9\u5931\u804c\u5931\u8d23\uff0c\u5bfc\u81f4\u8fdd\u89c4\u8fdd\u7eaa\u884c\u4e3a\u591a\u53d1\uff0c\u9020\u6210\u6076\u52a3\u5f71\u54cd\u7684\uff0c\u5e94\u5f53\u4e88\u4ee5\u95ee\u8d23\u3002"}], "conduct_date": "2026-02-26", "as_of": "2026-11-25", "subject": {"id": "P-SEC", "name": "\u5f20\u5efa\u56fd", "category": "organ_secretary", "category_label": "\u53bf\u76f4\u673a\u5173\u515a\u59d4\uff08\u515a\u7ec4\uff09\u4e66\u8bb0"}, "post": {"post_id": "PO-P-SEC-U-COAL-2025-07-01", "unit": "U-COAL", "unit_name": "\u53bf\u7164\u70ad\u5c40", "role": "secretary", "role_label": "\u515a\u7ec4\u7ec7\u4e66\u8bb0", "start": "2025-07-01", "end": null}, "responsibility": "leadership", "responsibility_label": "\u9886\u5bfc\u8d23\u4efb", "degree": "main", "degree_label": "\u4e3b\u8981\u9886\u5bfc\u8d23\u4efb", "evidence": [{"alias": "violation", "kind": "violation", "id": "V-GAMBLE", "src": "f.jsonl:14", "date": "2026-02-26", "summary": "2026\u5e742\u670826\u65e5\uff0c\u53bf\u7164\u70ad\u5c40\u738b\u4e00\u3001\u738b\u4e8c\u3001\u738b\u4e09\u5de5\u4f5c\u65f6\u95f4\u5728\u529e\u516c\u5ba4\u6253\u724c\u8d4c\u535a\uff08\u5de5\u4f5c\u7eaa\u5f8b\uff0c\u8f83\u91cd\uff09", "fields": {"id": "V-GAMBLE", "attrs": {}, "unit": "U-COAL", "actors": ["S1", "S2", "S3"], "date": "2026-02-26", "category": "work_discipline", "severity": "serious", "case_filed": false, "description": "\u5de5\u4f5c\u65f6\u95f4\u5728\u529e\u516c\u5ba4\u6253\u724c\u8d4c\u535a"}}], "factors": [], "steps": [{"step": "base", "before": null, "after": "circulated_criticism", "reason": "\u95ee\u8d23\u60c5\u5f623\uff0c\u60c5\u8282\u8f83\u91cd\uff0c\u57fa\u51c6\u95ee\u8d23\u65b9\u5f0f\u4e3a\u901a\u62a5\u6279\u8bc4", "ref": null}, {"step": "combined", "before": "circulated_criticism", "after": "warning", "reason": "\u6cbb\u515a\u7ba1\u515a\u4e0d\u4e25\u81f4\u4f7f\u53d1\u751f\u8f83\u91cd\u4ee5\u4e0a\u95ee\u9898\uff0c\u4f9d\u636e\u89c4\u5b9a\u5408\u5e76\u5efa\u8bae\u7ed9\u4e88\u515a\u5185\u8b66\u544a\u5904\u5206", "ref": null}], "base_form": "circulated_criticism", "forms": ["circulated_criticism", "warning"], "form_labels": ["\u901a\u62a5\u6279\u8bc4", "\u515a\u5185\u8b66\u544a"], "proposer": "discipline_commission", "proposer_label": "\u4e2d\u5171\u6e86\u6d66\u53bf\u7eaa\u5f8b\u68c0\u67e5\u59d4\u5458\u4f1a", "decider": "discipline_commission", "decider_label": "\u4e2d\u5171\u6e86\u6d66\u53bf\u7eaa\u5f8b\u68c0\u67e5\u59d4\u5458\u4f1a", "proposer_may_impose": false, "route": "accountability", "route_note": null, "rulebook_hash": "f3b7df355cdc381f5004dff8b21e89dcc71bd160a3caa03333785f696f5a5532"}','f3b7df355cdc381f5004dff8b21e89dcc71bd160a3caa03333785f696f5a5532','2026-11-25 09:24:07.672917');
INSERT INTO recommendation VALUES('R6E10B33169A9C4E',1,'P1','刘支书','U1',2,'principal','main','admonition','person:L1','c2-reminder-ineffective',1,'2026-05-12','pending','["ledger:LG1", "reminder:RM1", "rectification:RC1"]','{"rule_id": "c2-reminder-ineffective", "rule_version": 1, "rule_title": "\u5c65\u804c\u4e0d\u5230\u4f4d\u3001\u63aa\u65bd\u4e0d\u529b\uff0c\u7ecf\u9886\u5bfc\u63d0\u9192\u540e\u6574\u6539\u6548\u679c\u4e0d\u660e\u663e", "rule_file": "c2_reminder_ineffective.yaml", "circumstance": 2, "circumstance_label": "\u6cbb\u515a\u7ba1\u515a\u5c65\u804c\u4e0d\u5230\u4f4d\u3001\u63aa\u65bd\u4e0d\u529b\uff0c\u7ecf\u9886\u5bfc\u63d0\u9192\u540e\u6574\u6539\u6548\u679c\u4e0d\u660e\u663e", "severity": "serious", "basis": [{"document": "\u300a\u6e86\u6d66\u53bf\u515a\u5458\u9886\u5bfc\u5e72\u90e8\u843d\u5b9e\u201c\u5168\u9762\u4ece\u4e25\u6cbb\u515a\u201d\u8d23\u4efb\u5206\u5de5\u300b", "article": "\u95ee\u8d23\u60c5\u5f62\u7b2c\u4e8c\u9879", "text": "\u6cbb\u515a\u7ba1\u515a\u5c65\u804c\u4e0d\u5230\u4f4d\u3001\u63aa\u65bd\u4e0d\u529b\uff0c\u7ecf\u9886\u5bfc\u63d0\u9192\u540e\u6574\u6539\u6548\u679c\u4e0d\u660e\u663e\u7684\uff0c\u5e94\u5f53\u95ee\u8d23\u3002"}, {"document": "\u300a\u4e2d\u56fd\u5171\u4ea7\u515a\u95ee\u8d23\u6761\u4f8b\u300b\uff082019\u5e74\u4fee\u8ba2\uff09", "article": "\u7b2c\u4e03\u6761\u7b2c\uff08\u516b\uff09\u9879", "text": "\u5168\u9762\u4ece\u4e25\u6cbb\u515a\u4e3b\u4f53\u8d23\u4efb\u3001\u76d1\u7763\u8d23\u4efb\u843d\u5b9e\u4e0d\u5230\u4f4d\u2026\u2026\u4e0d\u8d1f\u8d23\u4e0d\u62c5\u5f53\uff0c\u515a\u5185\u76d1\u7763\u4e4f\u529b\uff0c\u8be5\u53d1\u73b0\u7684\u95ee\u9898\u6ca1\u6709\u53d1\u73b0\uff0c\u53d1\u73b0\u95ee\u9898\u4e0d\u62a5\u544a\u4e0d\u5904\u7f6e\u2026\u2026\u9020\u6210\u4e25\u91cd\u540e\u679c\u7684\uff0c\u5e94\u5f53\u4e88\u4ee5\u95ee\u8d23\u3002"}], "conduct_date": "2026-05-12", "as_of": "2026-11-25", "subject": {"id": "P1", "name": "\u5218\u652f\u4e66", "category": "branch_secretary", "category_label": "\u57fa\u5c42\u515a\u652f\u90e8\uff08\u603b\u652f\uff09\u4e66\u8bb0"}, "post": {"post_id": "PO-P1-U1-2020-01-01", "unit": "U1", "unit_name": "\u5362\u5cf0\u9547", "role": "secretary", "role_label": "\u515a\u7ec4\u7ec7\u4e66\u8bb0", "start": "2020-01-01", "end": null}, "responsibility": "principal", "responsibility_label": "\u4e3b\u4f53\u8d23\u4efb", "degree": "main", "degree_label": "\u4e3b\u4f53\u8d23\u4efb", "evidence": [{"alias": "shortfall", "kind": "ledger", "id": "LG1", "src": "f.jsonl:20", "date": "2026-04-02", "summary": "2026\u5e744\u67082\u65e5\uff0c\u5218\u652f\u4e662026-04\u5de5\u4f5c\u53f0\u8d26\u201c\u5236\u5b9a\u515a\u652f\u90e8\u5de5\u4f5c\u8ba1\u5212\u201d\u90e8\u5206\u5b8c\u6210\uff0c\u6838\u67e5\u7ed3\u8bba\uff1a\u4e0d\u5408\u683c", "fields": {"id": "LG1", "attrs": {}, "person": "P1", "period": "2026-04", "task": "bs01", "status": "partial", "verdict": "fail", "date": "2026-04-02"}}, {"alias": "reminder", "kind": "reminder", "id": "RM1", "src": "f.jsonl:21", "date": "2026-04-10", "summary": "2026\u5e744\u670810\u65e5\uff0c\u5411\u53bf\u957f\u5bf9\u5218\u652f\u4e66\u63d0\u9192\uff1a\u652f\u90e8\u5de5\u4f5c\u8ba1\u5212\u672a\u6309\u65f6\u5236\u5b9a\uff0c\u96502026\u5e747\u670810\u65e5\u524d\u6574\u6539", "fields": {"id": "RM1", "attrs": {}, "person": "P1", "issuer": "L1", "date": "2026-04-10", "matter": "\u652f\u90e8\u5de5\u4f5c\u8ba1\u5212\u672a\u6309\u65f6\u5236\u5b9a", "due": "2026-07-10"}}, {"alias": "recheck", "kind": "rectification", "id": "RC1", "src": "f.jsonl:22", "date": "2026-05-12", "summary": "2026\u5e745\u670812\u65e5\uff0c\u5bf9\u63d0\u9192\uff08RM1\uff09\u4e8b\u9879\u590d\u67e5\uff1a\u6574\u6539\u6548\u679c\u4e0d\u660e\u663e", "fields": {"id": "RC1", "attrs": {}, "reminder": "RM1", "person": "P1", "date": "2026-05-12", "effective": false}}], "factors": [], "steps": [{"step": "base", "before": null, "after": "admonition", "reason": "\u95ee\u8d23\u60c5\u5f622\uff0c\u60c5\u8282\u8f83\u91cd\uff0c\u57fa\u51c6\u95ee\u8d23\u65b9\u5f0f\u4e3a\u8beb\u52c9\u8c08\u8bdd", "ref": null}], "base_form": "admonition", "forms": ["admonition"], "form_labels": ["\u8beb\u52c9\u8c08\u8bdd"], "proposer": "person:L1", "proposer_label": "\u4e3b\u7ba1\u9886\u5bfc\uff08\u5411\u53bf\u957f\uff09", "decider": "discipline_commission", "decider_label": "\u4e2d\u5171\u6e86\u6d66\u53bf\u7eaa\u5f8b\u68c0\u67e5\u59d4\u5458\u4f1a", "proposer_may_impose": false, "route": "accountability", "route_note": null, "rulebook_hash": "f3b7df355cdc381f5004dff8b21e89dcc71bd160a3caa03333785f696f5a5532"}','f3b7df355cdc381f5004dff8b21e89dcc71bd160a3caa03333785f696f5a5532','2026-11-25 09:24:07.673725');
CREATE TABLE evaluation_run (
	id INTEGER NOT NULL, 
	as_of DATE NOT NULL, 
	rulebook_hash VARCHAR(64) NOT NULL, 
	started DATETIME NOT NULL, 
	finished DATETIME, 
	status VARCHAR NOT NULL, 
	counts JSON NOT NULL, 
	timings JSON NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO evaluation_run VALUES(1,'2026-11-25','f3b7df355cdc381f5004dff8b21e89dcc71bd160a3caa03333785f696f5a5532','2026-11-25 09:24:07.501335','2026-11-25 09:24:07.674745','committed','{"findings": 2, "facts_matched": 4, "recommendations": 3, "new": 3, "changed": 0, "unchanged": 0, "by_circumstance": {"2": 1, "3": 2}}','{"match_s": 0.099, "recommend_s": 0.067, "total_s": 0.173}');
CREATE TABLE document_number (
	recommendation_id VARCHAR(40) NOT NULL, 
	year INTEGER NOT NULL, 
	seq INTEGER NOT NULL, 
	prefix VARCHAR NOT NULL, 
	PRIMARY KEY (recommendation_id), 
	UNIQUE (year, seq)
);
INSERT INTO document_number VALUES('R0226F433E0BF665',2026,1,'县纪建');
CREATE INDEX ix_unit_parent ON unit (parent);
CREATE INDEX ix_unit_ingest_id ON unit (ingest_id);
CREATE INDEX ix_person_ingest_id ON person (ingest_id);
CREATE INDEX ix_person_unit ON person (unit);
CREATE INDEX ix_post_unit_role ON post (unit, role, start);
CREATE INDEX ix_post_unit ON post (unit);
CREATE INDEX ix_post_person ON post (person);
CREATE INDEX ix_post_ingest_id ON post (ingest_id);
CREATE INDEX ix_ledger_task ON ledger (task);
CREATE INDEX ix_ledger_ingest_id ON ledger (ingest_id);
CREATE INDEX ix_ledger_person_period ON ledger (person, period);
CREATE INDEX ix_ledger_person ON ledger (person);
CREATE INDEX ix_ledger_date ON ledger (date);
CREATE INDEX ix_ledger_verdict ON ledger (verdict);
CREATE INDEX ix_ledger_period ON ledger (period);
CREATE INDEX ix_inspection_ingest_id ON inspection (ingest_id);
CREATE INDEX ix_inspection_date ON inspection (date);
CREATE INDEX ix_inspection_unit ON inspection (unit);
CREATE INDEX ix_inspection_person ON inspection (person);
CREATE INDEX ix_reminder_ingest_id ON reminder (ingest_id);
CREATE INDEX ix_reminder_date ON reminder (date);
CREATE INDEX ix_reminder_person ON reminder (person);
CREATE INDEX ix_rectification_person ON rectification (person);
CREATE INDEX ix_rectification_date ON rectification (date);
CREATE INDEX ix_rectification_ingest_id ON rectification (ingest_id);
CREATE INDEX ix_rectification_reminder ON rectification (reminder);
CREATE INDEX ix_violation_unit ON violation (unit);
CREATE INDEX ix_violation_date ON violation (date);
CREATE INDEX ix_violation_ingest_id ON violation (ingest_id);
CREATE INDEX ix_disunity_ingest_id ON disunity (ingest_id);
CREATE INDEX ix_disunity_unit ON disunity (unit);
CREATE INDEX ix_disunity_date ON disunity (date);
CREATE INDEX ix_evaluation_ingest_id ON evaluation (ingest_id);
CREATE INDEX ix_evaluation_year ON evaluation (year);
CREATE INDEX ix_evaluation_person ON evaluation (person);
CREATE INDEX ix_proposal_person ON proposal (person);
CREATE INDEX ix_proposal_date ON proposal (date);
CREATE INDEX ix_proposal_ingest_id ON proposal (ingest_id);
CREATE INDEX ix_accountability_ingest_id ON accountability (ingest_id);
CREATE INDEX ix_accountability_person ON accountability (person);
CREATE INDEX ix_accountability_date ON accountability (date);
CREATE INDEX ix_fact_version_kind ON fact_version (kind);
CREATE INDEX ix_fact_version_id ON fact_version (id);
CREATE INDEX ix_recommendation_person ON recommendation (person);
CREATE INDEX ix_recommendation_conduct_date ON recommendation (conduct_date);
CREATE INDEX ix_recommendation_status ON recommendation (status);
CREATE INDEX ix_recommendation_unit ON recommendation (unit);
CREATE INDEX ix_recommendation_rule ON recommendation (rule);
CREATE INDEX ix_recommendation_circumstance ON recommendation (circumstance);
CREATE INDEX ix_recommendation_run_id ON recommendation (run_id);
COMMIT;
