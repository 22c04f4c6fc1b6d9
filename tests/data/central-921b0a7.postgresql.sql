CREATE TABLE old_main.alarm (
    id integer NOT NULL,
    kind character varying(255) NOT NULL,
    source character varying(255) NOT NULL,
    station_code character varying(255),
    severity character varying(255) NOT NULL,
    raised_at timestamp without time zone NOT NULL,
    details text NOT NULL,
    open_key character varying(255),
    acknowledged_at timestamp without time zone,
    acknowledged_by_id integer,
    acknowledged_by_name character varying(255),
    cleared_at timestamp without time zone,
    cleared_by_id integer,
    cleared_by_name character varying(255),
    clear_reason character varying(255)
);

CREATE SEQUENCE old_main.alarm_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE old_main.alarm_id_seq OWNED BY old_main.alarm.id;

CREATE TABLE old_main.apitoken (
    id integer NOT NULL,
    user_id integer NOT NULL,
    name character varying(255) NOT NULL,
    token_hash character varying(255) NOT NULL,
    created_at timestamp without time zone NOT NULL
);

CREATE SEQUENCE old_main.apitoken_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE old_main.apitoken_id_seq OWNED BY old_main.apitoken.id;

CREATE TABLE old_main.audit_entry (
    id integer NOT NULL,
    at timestamp without time zone NOT NULL,
    actor_id integer,
    actor_name character varying(255) NOT NULL,
    action character varying(255) NOT NULL,
    subject_kind character varying(255) NOT NULL,
    subject_id character varying(255) NOT NULL,
    detail text NOT NULL,
    remote_addr character varying(255)
);

CREATE SEQUENCE old_main.audit_entry_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE old_main.audit_entry_id_seq OWNED BY old_main.audit_entry.id;

CREATE TABLE old_main.card_key (
    id integer NOT NULL,
    kid character varying(4) NOT NULL,
    public_key character varying(255) NOT NULL,
    private_key_enc text NOT NULL,
    created_at timestamp without time zone NOT NULL,
    retired_at timestamp without time zone
);

CREATE SEQUENCE old_main.card_key_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE old_main.card_key_id_seq OWNED BY old_main.card_key.id;

CREATE TABLE old_main.centre_member (
    id integer NOT NULL,
    user_id integer NOT NULL,
    centre_id integer NOT NULL
);

CREATE SEQUENCE old_main.centre_member_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE old_main.centre_member_id_seq OWNED BY old_main.centre_member.id;

CREATE TABLE old_main.charge_session (
    id integer NOT NULL,
    session_id character varying(32) NOT NULL,
    station_code character varying(255) NOT NULL,
    slot integer NOT NULL,
    member_no character varying(255),
    started_at timestamp without time zone NOT NULL,
    ended_at timestamp without time zone,
    energy_wh integer NOT NULL,
    power_w integer NOT NULL,
    limit_s integer NOT NULL,
    end_reason character varying(255),
    reported_at timestamp without time zone NOT NULL
);

CREATE SEQUENCE old_main.charge_session_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE old_main.charge_session_id_seq OWNED BY old_main.charge_session.id;

CREATE TABLE old_main.charger_slot_event (
    id integer NOT NULL,
    station_code character varying(255) NOT NULL,
    slot integer NOT NULL,
    status character varying(255) NOT NULL,
    fault character varying(255),
    reported_at timestamp without time zone NOT NULL
);

CREATE SEQUENCE old_main.charger_slot_event_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE old_main.charger_slot_event_id_seq OWNED BY old_main.charger_slot_event.id;

CREATE TABLE old_main.chargerslotstate (
    id integer NOT NULL,
    station_code character varying(255) NOT NULL,
    slot integer NOT NULL,
    status character varying(255) NOT NULL,
    power_w integer NOT NULL,
    energy_wh integer NOT NULL,
    fault character varying(255),
    reported_at timestamp without time zone NOT NULL
);

CREATE SEQUENCE old_main.chargerslotstate_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE old_main.chargerslotstate_id_seq OWNED BY old_main.chargerslotstate.id;

CREATE TABLE old_main.checkin (
    id integer NOT NULL,
    event_id character varying(32) NOT NULL,
    station_code character varying(255) NOT NULL,
    occurred_at timestamp without time zone NOT NULL,
    method character varying(255) NOT NULL,
    member_no character varying(255)
);

CREATE TABLE old_main.checkin_daily (
    station_code character varying(255) NOT NULL,
    day integer NOT NULL,
    n integer NOT NULL,
    h00 integer NOT NULL,
    h01 integer NOT NULL,
    h02 integer NOT NULL,
    h03 integer NOT NULL,
    h04 integer NOT NULL,
    h05 integer NOT NULL,
    h06 integer NOT NULL,
    h07 integer NOT NULL,
    h08 integer NOT NULL,
    h09 integer NOT NULL,
    h10 integer NOT NULL,
    h11 integer NOT NULL,
    h12 integer NOT NULL,
    h13 integer NOT NULL,
    h14 integer NOT NULL,
    h15 integer NOT NULL,
    h16 integer NOT NULL,
    h17 integer NOT NULL,
    h18 integer NOT NULL,
    h19 integer NOT NULL,
    h20 integer NOT NULL,
    h21 integer NOT NULL,
    h22 integer NOT NULL,
    h23 integer NOT NULL
);

CREATE TABLE old_main.checkin_hourly (
    id integer NOT NULL,
    station_code character varying(255) NOT NULL,
    hour integer NOT NULL,
    n integer NOT NULL
);

CREATE SEQUENCE old_main.checkin_hourly_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE old_main.checkin_hourly_id_seq OWNED BY old_main.checkin_hourly.id;

CREATE SEQUENCE old_main.checkin_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE old_main.checkin_id_seq OWNED BY old_main.checkin.id;

CREATE TABLE old_main.checkin_weekly (
    station_code character varying(255) NOT NULL,
    week integer NOT NULL,
    n integer NOT NULL,
    w000 integer NOT NULL,
    w001 integer NOT NULL,
    w002 integer NOT NULL,
    w003 integer NOT NULL,
    w004 integer NOT NULL,
    w005 integer NOT NULL,
    w006 integer NOT NULL,
    w007 integer NOT NULL,
    w008 integer NOT NULL,
    w009 integer NOT NULL,
    w010 integer NOT NULL,
    w011 integer NOT NULL,
    w012 integer NOT NULL,
    w013 integer NOT NULL,
    w014 integer NOT NULL,
    w015 integer NOT NULL,
    w016 integer NOT NULL,
    w017 integer NOT NULL,
    w018 integer NOT NULL,
    w019 integer NOT NULL,
    w020 integer NOT NULL,
    w021 integer NOT NULL,
    w022 integer NOT NULL,
    w023 integer NOT NULL,
    w024 integer NOT NULL,
    w025 integer NOT NULL,
    w026 integer NOT NULL,
    w027 integer NOT NULL,
    w028 integer NOT NULL,
    w029 integer NOT NULL,
    w030 integer NOT NULL,
    w031 integer NOT NULL,
    w032 integer NOT NULL,
    w033 integer NOT NULL,
    w034 integer NOT NULL,
    w035 integer NOT NULL,
    w036 integer NOT NULL,
    w037 integer NOT NULL,
    w038 integer NOT NULL,
    w039 integer NOT NULL,
    w040 integer NOT NULL,
    w041 integer NOT NULL,
    w042 integer NOT NULL,
    w043 integer NOT NULL,
    w044 integer NOT NULL,
    w045 integer NOT NULL,
    w046 integer NOT NULL,
    w047 integer NOT NULL,
    w048 integer NOT NULL,
    w049 integer NOT NULL,
    w050 integer NOT NULL,
    w051 integer NOT NULL,
    w052 integer NOT NULL,
    w053 integer NOT NULL,
    w054 integer NOT NULL,
    w055 integer NOT NULL,
    w056 integer NOT NULL,
    w057 integer NOT NULL,
    w058 integer NOT NULL,
    w059 integer NOT NULL,
    w060 integer NOT NULL,
    w061 integer NOT NULL,
    w062 integer NOT NULL,
    w063 integer NOT NULL,
    w064 integer NOT NULL,
    w065 integer NOT NULL,
    w066 integer NOT NULL,
    w067 integer NOT NULL,
    w068 integer NOT NULL,
    w069 integer NOT NULL,
    w070 integer NOT NULL,
    w071 integer NOT NULL,
    w072 integer NOT NULL,
    w073 integer NOT NULL,
    w074 integer NOT NULL,
    w075 integer NOT NULL,
    w076 integer NOT NULL,
    w077 integer NOT NULL,
    w078 integer NOT NULL,
    w079 integer NOT NULL,
    w080 integer NOT NULL,
    w081 integer NOT NULL,
    w082 integer NOT NULL,
    w083 integer NOT NULL,
    w084 integer NOT NULL,
    w085 integer NOT NULL,
    w086 integer NOT NULL,
    w087 integer NOT NULL,
    w088 integer NOT NULL,
    w089 integer NOT NULL,
    w090 integer NOT NULL,
    w091 integer NOT NULL,
    w092 integer NOT NULL,
    w093 integer NOT NULL,
    w094 integer NOT NULL,
    w095 integer NOT NULL,
    w096 integer NOT NULL,
    w097 integer NOT NULL,
    w098 integer NOT NULL,
    w099 integer NOT NULL,
    w100 integer NOT NULL,
    w101 integer NOT NULL,
    w102 integer NOT NULL,
    w103 integer NOT NULL,
    w104 integer NOT NULL,
    w105 integer NOT NULL,
    w106 integer NOT NULL,
    w107 integer NOT NULL,
    w108 integer NOT NULL,
    w109 integer NOT NULL,
    w110 integer NOT NULL,
    w111 integer NOT NULL,
    w112 integer NOT NULL,
    w113 integer NOT NULL,
    w114 integer NOT NULL,
    w115 integer NOT NULL,
    w116 integer NOT NULL,
    w117 integer NOT NULL,
    w118 integer NOT NULL,
    w119 integer NOT NULL,
    w120 integer NOT NULL,
    w121 integer NOT NULL,
    w122 integer NOT NULL,
    w123 integer NOT NULL,
    w124 integer NOT NULL,
    w125 integer NOT NULL,
    w126 integer NOT NULL,
    w127 integer NOT NULL,
    w128 integer NOT NULL,
    w129 integer NOT NULL,
    w130 integer NOT NULL,
    w131 integer NOT NULL,
    w132 integer NOT NULL,
    w133 integer NOT NULL,
    w134 integer NOT NULL,
    w135 integer NOT NULL,
    w136 integer NOT NULL,
    w137 integer NOT NULL,
    w138 integer NOT NULL,
    w139 integer NOT NULL,
    w140 integer NOT NULL,
    w141 integer NOT NULL,
    w142 integer NOT NULL,
    w143 integer NOT NULL,
    w144 integer NOT NULL,
    w145 integer NOT NULL,
    w146 integer NOT NULL,
    w147 integer NOT NULL,
    w148 integer NOT NULL,
    w149 integer NOT NULL,
    w150 integer NOT NULL,
    w151 integer NOT NULL,
    w152 integer NOT NULL,
    w153 integer NOT NULL,
    w154 integer NOT NULL,
    w155 integer NOT NULL,
    w156 integer NOT NULL,
    w157 integer NOT NULL,
    w158 integer NOT NULL,
    w159 integer NOT NULL,
    w160 integer NOT NULL,
    w161 integer NOT NULL,
    w162 integer NOT NULL,
    w163 integer NOT NULL,
    w164 integer NOT NULL,
    w165 integer NOT NULL,
    w166 integer NOT NULL,
    w167 integer NOT NULL
);

CREATE TABLE old_main.command (
    id integer NOT NULL,
    command_id character varying(32) NOT NULL,
    station_code character varying(255) NOT NULL,
    device character varying(255) NOT NULL,
    name character varying(255) NOT NULL,
    args text NOT NULL,
    requested_by_id integer,
    requested_by_name character varying(255) NOT NULL,
    requested_at timestamp without time zone NOT NULL,
    published_at timestamp without time zone,
    status character varying(255) NOT NULL,
    answered_at timestamp without time zone,
    reason character varying(255)
);

CREATE SEQUENCE old_main.command_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE old_main.command_id_seq OWNED BY old_main.command.id;

CREATE TABLE old_main.contact_attempt (
    id integer NOT NULL,
    request_id integer NOT NULL,
    at timestamp without time zone NOT NULL,
    actor_id integer,
    outcome character varying(255) NOT NULL
);

CREATE SEQUENCE old_main.contact_attempt_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE old_main.contact_attempt_id_seq OWNED BY old_main.contact_attempt.id;

CREATE TABLE old_main.devicestate (
    id integer NOT NULL,
    station_code character varying(255) NOT NULL,
    device character varying(255) NOT NULL,
    kind character varying(255) NOT NULL,
    online boolean NOT NULL,
    changed_at timestamp without time zone NOT NULL,
    heartbeat_at timestamp without time zone,
    outbox_pending integer NOT NULL
);

CREATE SEQUENCE old_main.devicestate_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE old_main.devicestate_id_seq OWNED BY old_main.devicestate.id;

CREATE TABLE old_main.district (
    id integer NOT NULL,
    code character varying(255) NOT NULL,
    federation_id integer NOT NULL,
    name_zh character varying(255) NOT NULL,
    name_en character varying(255) NOT NULL
);

CREATE SEQUENCE old_main.district_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE old_main.district_id_seq OWNED BY old_main.district.id;

CREATE TABLE old_main.export_job (
    id integer NOT NULL,
    user_id integer NOT NULL,
    report character varying(255) NOT NULL,
    params text NOT NULL,
    status character varying(255) NOT NULL,
    rows_done integer NOT NULL,
    rows_total integer NOT NULL,
    path character varying(255) NOT NULL,
    filename character varying(255) NOT NULL,
    error character varying(255) NOT NULL,
    created_at timestamp without time zone NOT NULL,
    finished_at timestamp without time zone
);

CREATE SEQUENCE old_main.export_job_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE old_main.export_job_id_seq OWNED BY old_main.export_job.id;

CREATE TABLE old_main.federation (
    id integer NOT NULL,
    code character varying(255) NOT NULL,
    name_zh character varying(255) NOT NULL,
    name_en character varying(255) NOT NULL,
    members_need_approval boolean NOT NULL
);

CREATE SEQUENCE old_main.federation_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE old_main.federation_id_seq OWNED BY old_main.federation.id;

CREATE TABLE old_main.feedback (
    id integer NOT NULL,
    event_id character varying(32) NOT NULL,
    station_code character varying(255) NOT NULL,
    occurred_at timestamp without time zone NOT NULL,
    score smallint,
    member_no character varying(255)
);

CREATE TABLE old_main.feedback_category (
    id integer NOT NULL,
    feedback_id integer NOT NULL,
    station_code character varying(255) NOT NULL,
    occurred_at timestamp without time zone NOT NULL,
    category character varying(255) NOT NULL
);

CREATE SEQUENCE old_main.feedback_category_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE old_main.feedback_category_id_seq OWNED BY old_main.feedback_category.id;

CREATE SEQUENCE old_main.feedback_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE old_main.feedback_id_seq OWNED BY old_main.feedback.id;

CREATE TABLE old_main.follow_up (
    id integer NOT NULL,
    request_id integer NOT NULL,
    kind character varying(255) NOT NULL,
    due_on date NOT NULL,
    done_at timestamp without time zone,
    done_by_id integer
);

CREATE SEQUENCE old_main.follow_up_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE old_main.follow_up_id_seq OWNED BY old_main.follow_up.id;

CREATE TABLE old_main.legal_aid_centre (
    id integer NOT NULL,
    district_id integer NOT NULL,
    name_zh character varying(255) NOT NULL,
    name_en character varying(255) NOT NULL
);

CREATE SEQUENCE old_main.legal_aid_centre_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE old_main.legal_aid_centre_id_seq OWNED BY old_main.legal_aid_centre.id;

CREATE TABLE old_main.member (
    id integer NOT NULL,
    member_no character varying(10) NOT NULL,
    name character varying(40) NOT NULL,
    phone_enc text NOT NULL,
    phone_hash character varying(64) NOT NULL,
    platform character varying(20) NOT NULL,
    district_id integer NOT NULL,
    join_station character varying(255),
    status character varying(255) NOT NULL,
    created_at timestamp without time zone NOT NULL,
    approved_at timestamp without time zone,
    revoked_at timestamp without time zone,
    card_kid character varying(4),
    card_issued_at timestamp without time zone,
    card_expires_at timestamp without time zone,
    card_enc text,
    replaced_before timestamp without time zone,
    revocation_until timestamp without time zone,
    page_token_hash character varying(64) NOT NULL
);

CREATE SEQUENCE old_main.member_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE old_main.member_id_seq OWNED BY old_main.member.id;

CREATE TABLE old_main.opening_interval (
    id integer NOT NULL,
    station_id integer NOT NULL,
    weekday integer NOT NULL,
    opens character varying(5) NOT NULL,
    closes character varying(5) NOT NULL
);

CREATE SEQUENCE old_main.opening_interval_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE old_main.opening_interval_id_seq OWNED BY old_main.opening_interval.id;

CREATE TABLE old_main.scheduled_event (
    id integer NOT NULL,
    title_zh character varying(60) NOT NULL,
    title_en character varying(60) NOT NULL,
    kind character varying(255) NOT NULL,
    first_date date NOT NULL,
    last_date date NOT NULL,
    weekly boolean NOT NULL,
    starts character varying(5) NOT NULL,
    ends character varying(5) NOT NULL,
    created_by_id integer,
    created_at timestamp without time zone NOT NULL,
    cancelled_at timestamp without time zone
);

CREATE SEQUENCE old_main.scheduled_event_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE old_main.scheduled_event_id_seq OWNED BY old_main.scheduled_event.id;

CREATE TABLE old_main.scheduled_event_station (
    id integer NOT NULL,
    event_id integer NOT NULL,
    station_id integer NOT NULL
);

CREATE SEQUENCE old_main.scheduled_event_station_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE old_main.scheduled_event_station_id_seq OWNED BY old_main.scheduled_event_station.id;

CREATE TABLE old_main.schema_version (
    number integer NOT NULL,
    name character varying(255) NOT NULL,
    applied_at timestamp without time zone NOT NULL
);

CREATE TABLE old_main.service_request (
    id integer NOT NULL,
    tracking_code character varying(12) NOT NULL,
    event_id character varying(32) NOT NULL,
    station_code character varying(255) NOT NULL,
    district_id integer,
    district_code character varying(255),
    service character varying(255) NOT NULL,
    answers text NOT NULL,
    member_no character varying(255),
    phone_encrypted text,
    phone_hash character varying(255),
    phone_last4 character varying(255),
    best_time character varying(255) NOT NULL,
    filed_at timestamp without time zone NOT NULL,
    centre_id integer,
    due_at timestamp without time zone NOT NULL,
    due_estimated boolean NOT NULL,
    first_contact_at timestamp without time zone,
    status character varying(255) NOT NULL,
    updated_at timestamp without time zone NOT NULL,
    closed_at timestamp without time zone,
    mediated boolean,
    amount_recovered_fen bigint,
    referred_to character varying(255),
    satisfaction integer,
    unresolved boolean NOT NULL,
    rating_open boolean NOT NULL
);

CREATE SEQUENCE old_main.service_request_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE old_main.service_request_id_seq OWNED BY old_main.service_request.id;

CREATE TABLE old_main.staffuser (
    id integer NOT NULL,
    username character varying(255) NOT NULL,
    display_name character varying(255) NOT NULL,
    password_hash character varying(255) NOT NULL,
    role character varying(255) NOT NULL,
    federation_id integer,
    district_id integer,
    active boolean NOT NULL
);

CREATE SEQUENCE old_main.staffuser_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE old_main.staffuser_id_seq OWNED BY old_main.staffuser.id;

CREATE TABLE old_main.station (
    id integer NOT NULL,
    code character varying(255) NOT NULL,
    district_id integer NOT NULL,
    name_zh character varying(255) NOT NULL,
    name_en character varying(255) NOT NULL,
    address character varying(255) NOT NULL,
    latitude double precision,
    longitude double precision,
    capacity integer NOT NULL,
    charger_slots integer NOT NULL,
    services character varying(255) NOT NULL,
    always_open boolean NOT NULL,
    mobile boolean NOT NULL
);

CREATE SEQUENCE old_main.station_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE old_main.station_id_seq OWNED BY old_main.station.id;

CREATE TABLE old_main.station_location (
    station_code character varying(255) NOT NULL,
    latitude double precision NOT NULL,
    longitude double precision NOT NULL,
    place character varying(255) NOT NULL,
    reported_at timestamp without time zone NOT NULL
);

CREATE TABLE old_main.stationevent (
    id integer NOT NULL,
    event_id character varying(32) NOT NULL,
    station_code character varying(255) NOT NULL,
    seq bigint NOT NULL,
    kind character varying(255) NOT NULL,
    occurred_at timestamp without time zone NOT NULL,
    received_at timestamp without time zone NOT NULL,
    data text NOT NULL
);

CREATE SEQUENCE old_main.stationevent_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE old_main.stationevent_id_seq OWNED BY old_main.stationevent.id;

CREATE TABLE old_main.stationlive (
    station_code character varying(255) NOT NULL,
    people_inside integer NOT NULL,
    entered_today integer NOT NULL,
    occupancy_at timestamp without time zone NOT NULL
);

CREATE TABLE old_main.stationmanager (
    id integer NOT NULL,
    user_id integer NOT NULL,
    station_id integer NOT NULL
);

CREATE SEQUENCE old_main.stationmanager_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE old_main.stationmanager_id_seq OWNED BY old_main.stationmanager.id;

CREATE TABLE old_main.status_change (
    id integer NOT NULL,
    request_id integer NOT NULL,
    from_status character varying(255),
    to_status character varying(255) NOT NULL,
    actor_id integer,
    actor_name character varying(255) NOT NULL,
    at timestamp without time zone NOT NULL,
    note character varying(255) NOT NULL
);

CREATE SEQUENCE old_main.status_change_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE old_main.status_change_id_seq OWNED BY old_main.status_change.id;

CREATE TABLE old_main.tracking_failure (
    id integer NOT NULL,
    scope character varying(255) NOT NULL,
    key character varying(255) NOT NULL,
    at timestamp without time zone NOT NULL
);

CREATE SEQUENCE old_main.tracking_failure_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE old_main.tracking_failure_id_seq OWNED BY old_main.tracking_failure.id;

CREATE TABLE old_main.voucher (
    id integer NOT NULL,
    voucher_no character varying(10) NOT NULL,
    claim_event_id character varying(32) NOT NULL,
    member_no character varying(20) NOT NULL,
    station_code character varying(255) NOT NULL,
    month character varying(6) NOT NULL,
    claimed_at timestamp without time zone NOT NULL,
    provisional boolean NOT NULL,
    status character varying(255) NOT NULL,
    reason character varying(255),
    decided_at timestamp without time zone NOT NULL,
    text character varying(130),
    redeemed_at timestamp without time zone,
    redeemed_by_id integer
);

CREATE SEQUENCE old_main.voucher_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE old_main.voucher_id_seq OWNED BY old_main.voucher.id;

CREATE TABLE old_main.voucher_policy (
    id integer NOT NULL,
    district_id integer NOT NULL,
    care_day integer NOT NULL,
    district_quota integer NOT NULL,
    updated_at timestamp without time zone NOT NULL
);

CREATE SEQUENCE old_main.voucher_policy_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE old_main.voucher_policy_id_seq OWNED BY old_main.voucher_policy.id;

CREATE TABLE old_main.workday_exception (
    id integer NOT NULL,
    year_id integer NOT NULL,
    day date NOT NULL,
    working boolean NOT NULL,
    holiday character varying(255) NOT NULL
);

CREATE SEQUENCE old_main.workday_exception_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE old_main.workday_exception_id_seq OWNED BY old_main.workday_exception.id;

CREATE TABLE old_main.workday_year (
    id integer NOT NULL,
    year integer NOT NULL,
    source_name character varying(255) NOT NULL,
    imported_at timestamp without time zone NOT NULL,
    imported_by_id integer,
    imported_by_name character varying(255) NOT NULL
);

CREATE SEQUENCE old_main.workday_year_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE old_main.workday_year_id_seq OWNED BY old_main.workday_year.id;

ALTER TABLE ONLY old_main.alarm ALTER COLUMN id SET DEFAULT nextval('old_main.alarm_id_seq'::regclass);

ALTER TABLE ONLY old_main.apitoken ALTER COLUMN id SET DEFAULT nextval('old_main.apitoken_id_seq'::regclass);

ALTER TABLE ONLY old_main.audit_entry ALTER COLUMN id SET DEFAULT nextval('old_main.audit_entry_id_seq'::regclass);

ALTER TABLE ONLY old_main.card_key ALTER COLUMN id SET DEFAULT nextval('old_main.card_key_id_seq'::regclass);

ALTER TABLE ONLY old_main.centre_member ALTER COLUMN id SET DEFAULT nextval('old_main.centre_member_id_seq'::regclass);

ALTER TABLE ONLY old_main.charge_session ALTER COLUMN id SET DEFAULT nextval('old_main.charge_session_id_seq'::regclass);

ALTER TABLE ONLY old_main.charger_slot_event ALTER COLUMN id SET DEFAULT nextval('old_main.charger_slot_event_id_seq'::regclass);

ALTER TABLE ONLY old_main.chargerslotstate ALTER COLUMN id SET DEFAULT nextval('old_main.chargerslotstate_id_seq'::regclass);

ALTER TABLE ONLY old_main.checkin ALTER COLUMN id SET DEFAULT nextval('old_main.checkin_id_seq'::regclass);

ALTER TABLE ONLY old_main.checkin_hourly ALTER COLUMN id SET DEFAULT nextval('old_main.checkin_hourly_id_seq'::regclass);

ALTER TABLE ONLY old_main.command ALTER COLUMN id SET DEFAULT nextval('old_main.command_id_seq'::regclass);

ALTER TABLE ONLY old_main.contact_attempt ALTER COLUMN id SET DEFAULT nextval('old_main.contact_attempt_id_seq'::regclass);

ALTER TABLE ONLY old_main.devicestate ALTER COLUMN id SET DEFAULT nextval('old_main.devicestate_id_seq'::regclass);

ALTER TABLE ONLY old_main.district ALTER COLUMN id SET DEFAULT nextval('old_main.district_id_seq'::regclass);

ALTER TABLE ONLY old_main.export_job ALTER COLUMN id SET DEFAULT nextval('old_main.export_job_id_seq'::regclass);

ALTER TABLE ONLY old_main.federation ALTER COLUMN id SET DEFAULT nextval('old_main.federation_id_seq'::regclass);

ALTER TABLE ONLY old_main.feedback ALTER COLUMN id SET DEFAULT nextval('old_main.feedback_id_seq'::regclass);

ALTER TABLE ONLY old_main.feedback_category ALTER COLUMN id SET DEFAULT nextval('old_main.feedback_category_id_seq'::regclass);

ALTER TABLE ONLY old_main.follow_up ALTER COLUMN id SET DEFAULT nextval('old_main.follow_up_id_seq'::regclass);

ALTER TABLE ONLY old_main.legal_aid_centre ALTER COLUMN id SET DEFAULT nextval('old_main.legal_aid_centre_id_seq'::regclass);

ALTER TABLE ONLY old_main.member ALTER COLUMN id SET DEFAULT nextval('old_main.member_id_seq'::regclass);

ALTER TABLE ONLY old_main.opening_interval ALTER COLUMN id SET DEFAULT nextval('old_main.opening_interval_id_seq'::regclass);

ALTER TABLE ONLY old_main.scheduled_event ALTER COLUMN id SET DEFAULT nextval('old_main.scheduled_event_id_seq'::regclass);

ALTER TABLE ONLY old_main.scheduled_event_station ALTER COLUMN id SET DEFAULT nextval('old_main.scheduled_event_station_id_seq'::regclass);

ALTER TABLE ONLY old_main.service_request ALTER COLUMN id SET DEFAULT nextval('old_main.service_request_id_seq'::regclass);

ALTER TABLE ONLY old_main.staffuser ALTER COLUMN id SET DEFAULT nextval('old_main.staffuser_id_seq'::regclass);

ALTER TABLE ONLY old_main.station ALTER COLUMN id SET DEFAULT nextval('old_main.station_id_seq'::regclass);

ALTER TABLE ONLY old_main.stationevent ALTER COLUMN id SET DEFAULT nextval('old_main.stationevent_id_seq'::regclass);

ALTER TABLE ONLY old_main.stationmanager ALTER COLUMN id SET DEFAULT nextval('old_main.stationmanager_id_seq'::regclass);

ALTER TABLE ONLY old_main.status_change ALTER COLUMN id SET DEFAULT nextval('old_main.status_change_id_seq'::regclass);

ALTER TABLE ONLY old_main.tracking_failure ALTER COLUMN id SET DEFAULT nextval('old_main.tracking_failure_id_seq'::regclass);

ALTER TABLE ONLY old_main.voucher ALTER COLUMN id SET DEFAULT nextval('old_main.voucher_id_seq'::regclass);

ALTER TABLE ONLY old_main.voucher_policy ALTER COLUMN id SET DEFAULT nextval('old_main.voucher_policy_id_seq'::regclass);

ALTER TABLE ONLY old_main.workday_exception ALTER COLUMN id SET DEFAULT nextval('old_main.workday_exception_id_seq'::regclass);

ALTER TABLE ONLY old_main.workday_year ALTER COLUMN id SET DEFAULT nextval('old_main.workday_year_id_seq'::regclass);

INSERT INTO old_main.apitoken VALUES (1, 1, 'demo', 'e827398823eeb7893793c30037a2951b0c871d581273aa069996bb5162c8fb44', '2026-12-01 10:05:46.615');

INSERT INTO old_main.audit_entry VALUES (1, '2026-12-01 10:05:46.926', NULL, 'system', 'member.join', 'member', 'WVVAA8HCT9', '{"station": "xh-xujiahui"}', NULL);
INSERT INTO old_main.audit_entry VALUES (2, '2026-12-01 10:05:46.928', NULL, 'system', 'member.approve', 'member', 'WVVAA8HCT9', '{}', NULL);
INSERT INTO old_main.audit_entry VALUES (3, '2026-12-01 10:05:46.929', NULL, 'system', 'member.join', 'member', 'W1ZQ1J2CBF', '{"station": "xh-caohejing"}', NULL);
INSERT INTO old_main.audit_entry VALUES (4, '2026-12-01 10:05:46.93', NULL, 'system', 'member.approve', 'member', 'W1ZQ1J2CBF', '{}', NULL);
INSERT INTO old_main.audit_entry VALUES (5, '2026-12-01 10:05:46.933', NULL, 'system', 'member.join', 'member', 'WYT1XCQSRE', '{"station": "xh-longhua"}', NULL);
INSERT INTO old_main.audit_entry VALUES (6, '2026-12-01 10:05:46.934', NULL, 'system', 'member.approve', 'member', 'WYT1XCQSRE', '{}', NULL);

INSERT INTO old_main.card_key VALUES (1, 'BW4O', 'mqnldZPhQipXOKwajuaQkG--gUUWxesmhxrEbBNAqsA', 'o_5s3drTyyS05tMSZWKpFyaTQTU7PPTeeKYj_hVR-RwNPbo2k_JBt-5B2YMkx-HgaG_74sq4pD_9zyamVthcFMd40EkJNa0', '2026-12-01 10:05:46.919', NULL);

INSERT INTO old_main.centre_member VALUES (1, 4, 1);

INSERT INTO old_main.checkin VALUES (1, 'old-checkin-0', 'xh-xujiahui', '2026-03-02 01:30:00', 'anonymous', NULL);
INSERT INTO old_main.checkin VALUES (2, 'old-checkin-1', 'xh-caohejing', '2026-03-02 06:31:00', 'anonymous', NULL);
INSERT INTO old_main.checkin VALUES (3, 'old-checkin-2', 'xh-xujiahui', '2026-03-02 11:32:00', 'anonymous', NULL);
INSERT INTO old_main.checkin VALUES (4, 'old-checkin-3', 'xh-caohejing', '2026-03-02 16:33:00', 'anonymous', NULL);
INSERT INTO old_main.checkin VALUES (5, 'old-checkin-4', 'xh-xujiahui', '2026-03-02 21:34:00', 'anonymous', NULL);
INSERT INTO old_main.checkin VALUES (6, 'old-checkin-5', 'xh-caohejing', '2026-03-03 02:35:00', 'anonymous', NULL);
INSERT INTO old_main.checkin VALUES (7, 'old-checkin-6', 'xh-xujiahui', '2026-03-03 07:36:00', 'anonymous', NULL);

INSERT INTO old_main.checkin_daily VALUES ('xh-xujiahui', 20514, 3, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0);
INSERT INTO old_main.checkin_daily VALUES ('xh-caohejing', 20514, 2, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0);
INSERT INTO old_main.checkin_daily VALUES ('xh-caohejing', 20515, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
INSERT INTO old_main.checkin_daily VALUES ('xh-xujiahui', 20515, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

INSERT INTO old_main.checkin_hourly VALUES (1, 'xh-xujiahui', 492337, 1);
INSERT INTO old_main.checkin_hourly VALUES (2, 'xh-caohejing', 492342, 1);
INSERT INTO old_main.checkin_hourly VALUES (3, 'xh-xujiahui', 492347, 1);
INSERT INTO old_main.checkin_hourly VALUES (4, 'xh-caohejing', 492352, 1);
INSERT INTO old_main.checkin_hourly VALUES (5, 'xh-xujiahui', 492357, 1);
INSERT INTO old_main.checkin_hourly VALUES (6, 'xh-caohejing', 492362, 1);
INSERT INTO old_main.checkin_hourly VALUES (7, 'xh-xujiahui', 492367, 1);

INSERT INTO old_main.checkin_weekly VALUES ('xh-xujiahui', 2930, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
INSERT INTO old_main.checkin_weekly VALUES ('xh-caohejing', 2930, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

INSERT INTO old_main.district VALUES (1, 'xuhui', 1, '徐汇区总工会', 'Xuhui District Federation');
INSERT INTO old_main.district VALUES (2, 'minhang', 1, '闵行区总工会', 'Minhang District Federation');

INSERT INTO old_main.federation VALUES (1, 'sh', '上海市总工会', 'Shanghai Federation of Trade Unions', false);

INSERT INTO old_main.legal_aid_centre VALUES (1, 1, '徐汇区职工法律援助中心', 'Xuhui Workers'' Legal Aid Centre');
INSERT INTO old_main.legal_aid_centre VALUES (2, 2, '闵行区职工法律援助中心', 'Minhang Workers'' Legal Aid Centre');

INSERT INTO old_main.member VALUES (1, 'WVVAA8HCT9', '张师傅', 'FVLp6xXwOJKisoC3CQP6bE2ScFu1fHGtwW5eu7UnLYqPlvjmewEK', '6ce53620870d8845f2551ba09cacc9717eb5dd25e570af9a60e0611326932ada', 'meituan', 1, 'xh-xujiahui', 'active', '2026-12-01 10:05:46.919', '2026-12-01 10:05:46.919', NULL, 'BW4O', '2026-12-01 10:05:00', '2027-12-01 10:05:00', 'COQ3DaOuwQ_owFjq6VW7gZkDYEngTwgN1fx8OKv-72cagNB3po_5Qv7d9LVPV3dK7YMGwPLLzjNIAO8VWWngWLh5MczwGUdAT1YWRo8-Wg8Jd4v5sebxmy0NhqRijEkfXy74YShycgeWpD-dDnLSRnv04zHr3-sy8FnW718tFkziAD-0bDiqSek94v6SCqHLAuw', NULL, NULL, '9c7d6de3573e270540020a43999d1171909fd643c045ad29314f4e1e0a5b5539');
INSERT INTO old_main.member VALUES (2, 'W1ZQ1J2CBF', '李大姐', 'BjS-2E591S_hCDn0dBhT96QWDs2uqhMhoqFo8F-goMuAr0Kx_thW', '1200d16710a4e45b3dc5d8b3df4e32924dd9e66734a9cb8ba9a36f11e42b8710', 'eleme', 1, 'xh-caohejing', 'active', '2026-12-01 10:05:46.919', '2026-12-01 10:05:46.919', NULL, 'BW4O', '2026-12-01 10:05:00', '2027-12-01 10:05:00', 'Q00NG35h4BExXJ2Tdo_7d86HmJNCb1loetGbKAzCC2lfEJRfkSL9ZXN_xVMOhchqSkSNcHIxse7Fvel61aPw37UnHCJDkBCNkS2sgeF87G9Xaw9frEoUjezMkfBa1fxOJgRItRCRW1XdsWPvWtSC721DFlD0WO1M3E8qZUG_xjWRuL2E3-rJOd7TTXPiB5OUMw4', NULL, NULL, '10ae0215296da5ce74bcce0782d70afdfb3252852197583835962dad8bbb147f');
INSERT INTO old_main.member VALUES (3, 'WYT1XCQSRE', '王小明', 'vHHl6HcfkIbhsZIQAhKUNChpsXbvjFJf_WRWBu893Kux1vDovzYE', 'fca192e6b7eb67e3e3ff8adf3a3792395ae50a6ad326e721c7f820840ef9e7e7', 'sf', 1, 'xh-longhua', 'active', '2026-12-01 10:05:46.919', '2026-12-01 10:05:46.919', NULL, 'BW4O', '2026-12-01 10:05:00', '2027-12-01 10:05:00', 'GFsvOJqp7HowcW5sr3whv-yTtngQdTO2muZcTerM6vxtOumLza5yJABUYyrJZDw3Ns0efB4nuTSmcxNO3D13wBi8DOHGvWHDAmxCbAqh4FohLS2PQZd2AVvMhweq9nCMr3xHhiuL9yIsBA-QIq5qYzW9A3FWYmQw7sHySYt2qmzDIwZor8i_FtlUFTq9ZVWmK5g', NULL, NULL, 'cd315a443ecd20971c15ee5e2f5048966ad8c1122c1715bbfff6c0eb35a3a672');

INSERT INTO old_main.opening_interval VALUES (1, 2, 0, '07:00', '14:00');
INSERT INTO old_main.opening_interval VALUES (2, 2, 0, '16:00', '22:00');
INSERT INTO old_main.opening_interval VALUES (3, 2, 1, '07:00', '14:00');
INSERT INTO old_main.opening_interval VALUES (4, 2, 1, '16:00', '22:00');
INSERT INTO old_main.opening_interval VALUES (5, 2, 2, '07:00', '14:00');
INSERT INTO old_main.opening_interval VALUES (6, 2, 2, '16:00', '22:00');
INSERT INTO old_main.opening_interval VALUES (7, 2, 3, '07:00', '14:00');
INSERT INTO old_main.opening_interval VALUES (8, 2, 3, '16:00', '22:00');
INSERT INTO old_main.opening_interval VALUES (9, 2, 4, '07:00', '14:00');
INSERT INTO old_main.opening_interval VALUES (10, 2, 4, '16:00', '22:00');
INSERT INTO old_main.opening_interval VALUES (11, 2, 5, '07:00', '14:00');
INSERT INTO old_main.opening_interval VALUES (12, 2, 5, '16:00', '22:00');
INSERT INTO old_main.opening_interval VALUES (13, 2, 6, '07:00', '14:00');
INSERT INTO old_main.opening_interval VALUES (14, 2, 6, '16:00', '22:00');
INSERT INTO old_main.opening_interval VALUES (15, 3, 0, '04:30', '09:00');
INSERT INTO old_main.opening_interval VALUES (16, 3, 0, '20:00', '02:00');
INSERT INTO old_main.opening_interval VALUES (17, 3, 1, '04:30', '09:00');
INSERT INTO old_main.opening_interval VALUES (18, 3, 1, '20:00', '02:00');
INSERT INTO old_main.opening_interval VALUES (19, 3, 2, '04:30', '09:00');
INSERT INTO old_main.opening_interval VALUES (20, 3, 2, '20:00', '02:00');
INSERT INTO old_main.opening_interval VALUES (21, 3, 3, '04:30', '09:00');
INSERT INTO old_main.opening_interval VALUES (22, 3, 3, '20:00', '02:00');
INSERT INTO old_main.opening_interval VALUES (23, 3, 4, '04:30', '09:00');
INSERT INTO old_main.opening_interval VALUES (24, 3, 4, '20:00', '02:00');
INSERT INTO old_main.opening_interval VALUES (25, 3, 5, '04:30', '09:00');
INSERT INTO old_main.opening_interval VALUES (26, 3, 5, '20:00', '02:00');
INSERT INTO old_main.opening_interval VALUES (27, 3, 6, '04:30', '09:00');
INSERT INTO old_main.opening_interval VALUES (28, 3, 6, '20:00', '02:00');

INSERT INTO old_main.schema_version VALUES (1, 'initial', '2026-12-01 10:05:46.236818');
INSERT INTO old_main.schema_version VALUES (2, 'audit_log', '2026-12-01 10:05:46.248541');
INSERT INTO old_main.schema_version VALUES (3, 'service_requests', '2026-12-01 10:05:46.339971');
INSERT INTO old_main.schema_version VALUES (4, 'reports', '2026-12-01 10:05:46.359039');
INSERT INTO old_main.schema_version VALUES (5, 'membership', '2026-12-01 10:05:46.390661');
INSERT INTO old_main.schema_version VALUES (6, 'station_operations', '2026-12-01 10:05:46.434612');
INSERT INTO old_main.schema_version VALUES (7, 'community', '2026-12-01 10:05:46.485208');
INSERT INTO old_main.schema_version VALUES (8, 'daily_rollup', '2026-12-01 10:05:46.490783');
INSERT INTO old_main.schema_version VALUES (9, 'weekly_rollup', '2026-12-01 10:05:46.500701');
INSERT INTO old_main.schema_version VALUES (10, 'feedback', '2026-12-01 10:05:46.519889');

INSERT INTO old_main.staffuser VALUES (1, 'admin', '系统管理员', 'scrypt:32768:8:1$hAnW3xXclHq3Y4JV$5b3f0e165a996398e671b6f1826bce22381e435ccb2c03b9636c95dead7e41ef8c22ff497df206e1f9ea6d30f527c1cad735a61f7d4b673ab20fe5f892b93cc9', 'admin', NULL, NULL, true);
INSERT INTO old_main.staffuser VALUES (2, 'federation', '上海市总工会', 'scrypt:32768:8:1$wYBDhTo6hXPJZEkr$fdd0a1db6f84ffef0e8b1222d27d3369e84bf57add41c234ef5ebdfd3a7d87b471152a92a71a64a1aebbed0fa981245cfa66fede9fea6a1feda01eb121d456ec', 'federation', 1, NULL, true);
INSERT INTO old_main.staffuser VALUES (3, 'manager', '王站长', 'scrypt:32768:8:1$bScbWuSw7e6exR7D$e22c589f0227579d116fbebc4d6b25f2baf6923ef53cda7985a21b7f8315bc96642d77127b3dd97bd813fc8570c94bd8c0b3b04ad77032fd4e3d31c1c58e1ff7', 'manager', NULL, NULL, true);
INSERT INTO old_main.staffuser VALUES (4, 'caseworker', '李律师（徐汇法援）', 'scrypt:32768:8:1$gP99rqRbd1FusM7I$2bfbe3bcf86b12e75c3a306e1de3f2d780a512f5dc0fb50be9848113fd74332c56f397ead439eca2847866a3974a9d59e8f9c8b67bfe99679760cb701fb84ba9', 'caseworker', NULL, NULL, true);
INSERT INTO old_main.staffuser VALUES (5, 'shop', '老王面馆（合作商户）', 'scrypt:32768:8:1$kkGWKYVt3Ek5UxFh$e0625e74fe7daba9d002972f2a79f32f1ec23e68bd2077be2f4e5e12ff60151b2074b68382a1c9f4f133cf97efa57c50c18dca7d4c361bde72974d0236d8e416', 'shop', NULL, NULL, true);

INSERT INTO old_main.station VALUES (1, 'xh-xujiahui', 1, '徐家汇爱心驿站', 'Xujiahui Rest Station', '徐汇区虹桥路1号', 31.1952, 121.4367, 20, 8, 'seat,water,microwave,charging,toilet,wifi', true, false);
INSERT INTO old_main.station VALUES (2, 'xh-caohejing', 1, '漕河泾职工幸福驿站', 'Caohejing Workers'' Station', '徐汇区宜山路900号', 31.1717, 121.4019, 30, 8, 'seat,water,microwave,charging,legal_aid', false, false);
INSERT INTO old_main.station VALUES (3, 'xh-longhua', 1, '龙华环卫驿站', 'Longhua Sanitation Workers'' Station', '徐汇区龙华中路600号', 31.1781, 121.4513, 12, 4, 'seat,water,toilet,first_aid', false, false);

INSERT INTO old_main.stationmanager VALUES (1, 3, 1);
INSERT INTO old_main.stationmanager VALUES (2, 3, 2);

INSERT INTO old_main.voucher VALUES (1, 'V000000001', 'old-claim-1', 'M000000001', 'xh-xujiahui', '202603', '2026-03-02 01:30:00', false, 'confirmed', NULL, '2026-03-02 01:30:00', NULL, NULL, NULL);

INSERT INTO old_main.workday_exception VALUES (1, 1, '2026-01-01', false, '元旦 New Year');
INSERT INTO old_main.workday_exception VALUES (2, 1, '2026-01-02', false, '元旦 New Year');
INSERT INTO old_main.workday_exception VALUES (3, 1, '2026-01-03', false, '元旦 New Year');
INSERT INTO old_main.workday_exception VALUES (4, 1, '2026-02-15', false, '春节 Spring Festival');
INSERT INTO old_main.workday_exception VALUES (5, 1, '2026-02-16', false, '春节 Spring Festival');
INSERT INTO old_main.workday_exception VALUES (6, 1, '2026-02-17', false, '春节 Spring Festival');
INSERT INTO old_main.workday_exception VALUES (7, 1, '2026-02-18', false, '春节 Spring Festival');
INSERT INTO old_main.workday_exception VALUES (8, 1, '2026-02-19', false, '春节 Spring Festival');
INSERT INTO old_main.workday_exception VALUES (9, 1, '2026-02-20', false, '春节 Spring Festival');
INSERT INTO old_main.workday_exception VALUES (10, 1, '2026-02-21', false, '春节 Spring Festival');
INSERT INTO old_main.workday_exception VALUES (11, 1, '2026-02-22', false, '春节 Spring Festival');
INSERT INTO old_main.workday_exception VALUES (12, 1, '2026-02-23', false, '春节 Spring Festival');
INSERT INTO old_main.workday_exception VALUES (13, 1, '2026-04-04', false, '清明节 Qingming');
INSERT INTO old_main.workday_exception VALUES (14, 1, '2026-04-05', false, '清明节 Qingming');
INSERT INTO old_main.workday_exception VALUES (15, 1, '2026-04-06', false, '清明节 Qingming');
INSERT INTO old_main.workday_exception VALUES (16, 1, '2026-05-01', false, '劳动节 Labour Day');
INSERT INTO old_main.workday_exception VALUES (17, 1, '2026-05-02', false, '劳动节 Labour Day');
INSERT INTO old_main.workday_exception VALUES (18, 1, '2026-05-03', false, '劳动节 Labour Day');
INSERT INTO old_main.workday_exception VALUES (19, 1, '2026-05-04', false, '劳动节 Labour Day');
INSERT INTO old_main.workday_exception VALUES (20, 1, '2026-05-05', false, '劳动节 Labour Day');
INSERT INTO old_main.workday_exception VALUES (21, 1, '2026-06-19', false, '端午节 Dragon Boat');
INSERT INTO old_main.workday_exception VALUES (22, 1, '2026-06-20', false, '端午节 Dragon Boat');
INSERT INTO old_main.workday_exception VALUES (23, 1, '2026-06-21', false, '端午节 Dragon Boat');
INSERT INTO old_main.workday_exception VALUES (24, 1, '2026-09-25', false, '中秋节 Mid-Autumn');
INSERT INTO old_main.workday_exception VALUES (25, 1, '2026-09-26', false, '中秋节 Mid-Autumn');
INSERT INTO old_main.workday_exception VALUES (26, 1, '2026-09-27', false, '中秋节 Mid-Autumn');
INSERT INTO old_main.workday_exception VALUES (27, 1, '2026-10-01', false, '国庆节 National Day');
INSERT INTO old_main.workday_exception VALUES (28, 1, '2026-10-02', false, '国庆节 National Day');
INSERT INTO old_main.workday_exception VALUES (29, 1, '2026-10-03', false, '国庆节 National Day');
INSERT INTO old_main.workday_exception VALUES (30, 1, '2026-10-04', false, '国庆节 National Day');
INSERT INTO old_main.workday_exception VALUES (31, 1, '2026-10-05', false, '国庆节 National Day');
INSERT INTO old_main.workday_exception VALUES (32, 1, '2026-10-06', false, '国庆节 National Day');
INSERT INTO old_main.workday_exception VALUES (33, 1, '2026-10-07', false, '国庆节 National Day');
INSERT INTO old_main.workday_exception VALUES (34, 1, '2026-01-04', true, '元旦 New Year');
INSERT INTO old_main.workday_exception VALUES (35, 1, '2026-02-14', true, '春节 Spring Festival');
INSERT INTO old_main.workday_exception VALUES (36, 1, '2026-02-28', true, '春节 Spring Festival');
INSERT INTO old_main.workday_exception VALUES (37, 1, '2026-05-09', true, '劳动节 Labour Day');
INSERT INTO old_main.workday_exception VALUES (38, 1, '2026-09-20', true, '国庆节 National Day');
INSERT INTO old_main.workday_exception VALUES (39, 1, '2026-10-10', true, '国庆节 National Day');

INSERT INTO old_main.workday_year VALUES (1, 2026, 'cn-workdays-2026.toml', '2026-12-01 10:05:46.335', NULL, 'system');

SELECT pg_catalog.setval('old_main.alarm_id_seq', 1, false);

SELECT pg_catalog.setval('old_main.apitoken_id_seq', 1, true);

SELECT pg_catalog.setval('old_main.audit_entry_id_seq', 6, true);

SELECT pg_catalog.setval('old_main.card_key_id_seq', 1, true);

SELECT pg_catalog.setval('old_main.centre_member_id_seq', 1, true);

SELECT pg_catalog.setval('old_main.charge_session_id_seq', 1, false);

SELECT pg_catalog.setval('old_main.charger_slot_event_id_seq', 1, false);

SELECT pg_catalog.setval('old_main.chargerslotstate_id_seq', 1, false);

SELECT pg_catalog.setval('old_main.checkin_hourly_id_seq', 7, true);

SELECT pg_catalog.setval('old_main.checkin_id_seq', 7, true);

SELECT pg_catalog.setval('old_main.command_id_seq', 1, false);

SELECT pg_catalog.setval('old_main.contact_attempt_id_seq', 1, false);

SELECT pg_catalog.setval('old_main.devicestate_id_seq', 1, false);

SELECT pg_catalog.setval('old_main.district_id_seq', 2, true);

SELECT pg_catalog.setval('old_main.export_job_id_seq', 1, false);

SELECT pg_catalog.setval('old_main.federation_id_seq', 1, true);

SELECT pg_catalog.setval('old_main.feedback_category_id_seq', 1, false);

SELECT pg_catalog.setval('old_main.feedback_id_seq', 1, false);

SELECT pg_catalog.setval('old_main.follow_up_id_seq', 1, false);

SELECT pg_catalog.setval('old_main.legal_aid_centre_id_seq', 2, true);

SELECT pg_catalog.setval('old_main.member_id_seq', 3, true);

SELECT pg_catalog.setval('old_main.opening_interval_id_seq', 28, true);

SELECT pg_catalog.setval('old_main.scheduled_event_id_seq', 1, false);

SELECT pg_catalog.setval('old_main.scheduled_event_station_id_seq', 1, false);

SELECT pg_catalog.setval('old_main.service_request_id_seq', 1, false);

SELECT pg_catalog.setval('old_main.staffuser_id_seq', 5, true);

SELECT pg_catalog.setval('old_main.station_id_seq', 3, true);

SELECT pg_catalog.setval('old_main.stationevent_id_seq', 1, false);

SELECT pg_catalog.setval('old_main.stationmanager_id_seq', 2, true);

SELECT pg_catalog.setval('old_main.status_change_id_seq', 1, false);

SELECT pg_catalog.setval('old_main.tracking_failure_id_seq', 1, false);

SELECT pg_catalog.setval('old_main.voucher_id_seq', 1, true);

SELECT pg_catalog.setval('old_main.voucher_policy_id_seq', 1, false);

SELECT pg_catalog.setval('old_main.workday_exception_id_seq', 39, true);

SELECT pg_catalog.setval('old_main.workday_year_id_seq', 1, true);

ALTER TABLE ONLY old_main.alarm
    ADD CONSTRAINT alarm_pkey PRIMARY KEY (id);

ALTER TABLE ONLY old_main.apitoken
    ADD CONSTRAINT apitoken_pkey PRIMARY KEY (id);

ALTER TABLE ONLY old_main.audit_entry
    ADD CONSTRAINT audit_entry_pkey PRIMARY KEY (id);

ALTER TABLE ONLY old_main.card_key
    ADD CONSTRAINT card_key_pkey PRIMARY KEY (id);

ALTER TABLE ONLY old_main.centre_member
    ADD CONSTRAINT centre_member_pkey PRIMARY KEY (id);

ALTER TABLE ONLY old_main.charge_session
    ADD CONSTRAINT charge_session_pkey PRIMARY KEY (id);

ALTER TABLE ONLY old_main.charger_slot_event
    ADD CONSTRAINT charger_slot_event_pkey PRIMARY KEY (id);

ALTER TABLE ONLY old_main.chargerslotstate
    ADD CONSTRAINT chargerslotstate_pkey PRIMARY KEY (id);

ALTER TABLE ONLY old_main.checkin_daily
    ADD CONSTRAINT checkin_daily_pkey PRIMARY KEY (station_code, day);

ALTER TABLE ONLY old_main.checkin_hourly
    ADD CONSTRAINT checkin_hourly_pkey PRIMARY KEY (id);

ALTER TABLE ONLY old_main.checkin
    ADD CONSTRAINT checkin_pkey PRIMARY KEY (id);

ALTER TABLE ONLY old_main.checkin_weekly
    ADD CONSTRAINT checkin_weekly_pkey PRIMARY KEY (station_code, week);

ALTER TABLE ONLY old_main.command
    ADD CONSTRAINT command_pkey PRIMARY KEY (id);

ALTER TABLE ONLY old_main.contact_attempt
    ADD CONSTRAINT contact_attempt_pkey PRIMARY KEY (id);

ALTER TABLE ONLY old_main.devicestate
    ADD CONSTRAINT devicestate_pkey PRIMARY KEY (id);

ALTER TABLE ONLY old_main.district
    ADD CONSTRAINT district_pkey PRIMARY KEY (id);

ALTER TABLE ONLY old_main.export_job
    ADD CONSTRAINT export_job_pkey PRIMARY KEY (id);

ALTER TABLE ONLY old_main.federation
    ADD CONSTRAINT federation_pkey PRIMARY KEY (id);

ALTER TABLE ONLY old_main.feedback_category
    ADD CONSTRAINT feedback_category_pkey PRIMARY KEY (id);

ALTER TABLE ONLY old_main.feedback
    ADD CONSTRAINT feedback_pkey PRIMARY KEY (id);

ALTER TABLE ONLY old_main.follow_up
    ADD CONSTRAINT follow_up_pkey PRIMARY KEY (id);

ALTER TABLE ONLY old_main.legal_aid_centre
    ADD CONSTRAINT legal_aid_centre_pkey PRIMARY KEY (id);

ALTER TABLE ONLY old_main.member
    ADD CONSTRAINT member_pkey PRIMARY KEY (id);

ALTER TABLE ONLY old_main.opening_interval
    ADD CONSTRAINT opening_interval_pkey PRIMARY KEY (id);

ALTER TABLE ONLY old_main.scheduled_event
    ADD CONSTRAINT scheduled_event_pkey PRIMARY KEY (id);

ALTER TABLE ONLY old_main.scheduled_event_station
    ADD CONSTRAINT scheduled_event_station_pkey PRIMARY KEY (id);

ALTER TABLE ONLY old_main.schema_version
    ADD CONSTRAINT schema_version_pkey PRIMARY KEY (number);

ALTER TABLE ONLY old_main.service_request
    ADD CONSTRAINT service_request_pkey PRIMARY KEY (id);

ALTER TABLE ONLY old_main.staffuser
    ADD CONSTRAINT staffuser_pkey PRIMARY KEY (id);

ALTER TABLE ONLY old_main.station_location
    ADD CONSTRAINT station_location_pkey PRIMARY KEY (station_code);

ALTER TABLE ONLY old_main.station
    ADD CONSTRAINT station_pkey PRIMARY KEY (id);

ALTER TABLE ONLY old_main.stationevent
    ADD CONSTRAINT stationevent_pkey PRIMARY KEY (id);

ALTER TABLE ONLY old_main.stationlive
    ADD CONSTRAINT stationlive_pkey PRIMARY KEY (station_code);

ALTER TABLE ONLY old_main.stationmanager
    ADD CONSTRAINT stationmanager_pkey PRIMARY KEY (id);

ALTER TABLE ONLY old_main.status_change
    ADD CONSTRAINT status_change_pkey PRIMARY KEY (id);

ALTER TABLE ONLY old_main.tracking_failure
    ADD CONSTRAINT tracking_failure_pkey PRIMARY KEY (id);

ALTER TABLE ONLY old_main.voucher
    ADD CONSTRAINT voucher_pkey PRIMARY KEY (id);

ALTER TABLE ONLY old_main.voucher_policy
    ADD CONSTRAINT voucher_policy_pkey PRIMARY KEY (id);

ALTER TABLE ONLY old_main.workday_exception
    ADD CONSTRAINT workday_exception_pkey PRIMARY KEY (id);

ALTER TABLE ONLY old_main.workday_year
    ADD CONSTRAINT workday_year_pkey PRIMARY KEY (id);

CREATE INDEX alarm_acknowledged_by_id ON old_main.alarm USING btree (acknowledged_by_id);

CREATE INDEX alarm_cleared_by_id ON old_main.alarm USING btree (cleared_by_id);

CREATE UNIQUE INDEX alarm_open_key ON old_main.alarm USING btree (open_key);

CREATE INDEX alarm_raised_at ON old_main.alarm USING btree (raised_at);

CREATE INDEX alarm_station_code ON old_main.alarm USING btree (station_code);

CREATE UNIQUE INDEX apitoken_token_hash ON old_main.apitoken USING btree (token_hash);

CREATE INDEX apitoken_user_id ON old_main.apitoken USING btree (user_id);

CREATE INDEX auditentry_actor_id ON old_main.audit_entry USING btree (actor_id);

CREATE INDEX auditentry_at ON old_main.audit_entry USING btree (at);

CREATE INDEX auditentry_subject_kind_subject_id_at ON old_main.audit_entry USING btree (subject_kind, subject_id, at);

CREATE UNIQUE INDEX cardkey_kid ON old_main.card_key USING btree (kid);

CREATE INDEX centremember_centre_id ON old_main.centre_member USING btree (centre_id);

CREATE UNIQUE INDEX centremember_user_id ON old_main.centre_member USING btree (user_id);

CREATE UNIQUE INDEX chargerslotevent_station_code_slot_reported_at ON old_main.charger_slot_event USING btree (station_code, slot, reported_at);

CREATE UNIQUE INDEX chargerslotstate_station_code_slot ON old_main.chargerslotstate USING btree (station_code, slot);

CREATE INDEX chargesession_member_no ON old_main.charge_session USING btree (member_no);

CREATE UNIQUE INDEX chargesession_session_id ON old_main.charge_session USING btree (session_id);

CREATE INDEX chargesession_station_code_started_at ON old_main.charge_session USING btree (station_code, started_at);

CREATE INDEX checkin_occurred_at_id ON old_main.checkin USING btree (occurred_at, id);

CREATE INDEX checkin_station_code_occurred_at ON old_main.checkin USING btree (station_code, occurred_at);

CREATE UNIQUE INDEX checkinhourly_station_code_hour ON old_main.checkin_hourly USING btree (station_code, hour);

CREATE INDEX checkinhourly_station_code_hour_n ON old_main.checkin_hourly USING btree (station_code, hour, n);

CREATE UNIQUE INDEX command_command_id ON old_main.command USING btree (command_id);

CREATE INDEX command_requested_by_id ON old_main.command USING btree (requested_by_id);

CREATE INDEX command_station_code ON old_main.command USING btree (station_code);

CREATE INDEX command_status ON old_main.command USING btree (status);

CREATE INDEX contactattempt_actor_id ON old_main.contact_attempt USING btree (actor_id);

CREATE INDEX contactattempt_request_id ON old_main.contact_attempt USING btree (request_id);

CREATE UNIQUE INDEX devicestate_station_code_device ON old_main.devicestate USING btree (station_code, device);

CREATE UNIQUE INDEX district_code ON old_main.district USING btree (code);

CREATE INDEX district_federation_id ON old_main.district USING btree (federation_id);

CREATE INDEX exportjob_user_id ON old_main.export_job USING btree (user_id);

CREATE UNIQUE INDEX federation_code ON old_main.federation USING btree (code);

CREATE UNIQUE INDEX feedback_event_id ON old_main.feedback USING btree (event_id);

CREATE INDEX feedback_station_code_occurred_at ON old_main.feedback USING btree (station_code, occurred_at);

CREATE INDEX feedbackcategory_feedback_id ON old_main.feedback_category USING btree (feedback_id);

CREATE UNIQUE INDEX feedbackcategory_feedback_id_category ON old_main.feedback_category USING btree (feedback_id, category);

CREATE INDEX feedbackcategory_station_code_occurred_at ON old_main.feedback_category USING btree (station_code, occurred_at);

CREATE INDEX followup_done_by_id ON old_main.follow_up USING btree (done_by_id);

CREATE INDEX followup_due_on ON old_main.follow_up USING btree (due_on);

CREATE INDEX followup_request_id ON old_main.follow_up USING btree (request_id);

CREATE INDEX legalaidcentre_district_id ON old_main.legal_aid_centre USING btree (district_id);

CREATE INDEX member_district_id ON old_main.member USING btree (district_id);

CREATE INDEX member_join_station ON old_main.member USING btree (join_station);

CREATE UNIQUE INDEX member_member_no ON old_main.member USING btree (member_no);

CREATE UNIQUE INDEX member_page_token_hash ON old_main.member USING btree (page_token_hash);

CREATE UNIQUE INDEX member_phone_hash ON old_main.member USING btree (phone_hash);

CREATE INDEX member_revocation_until ON old_main.member USING btree (revocation_until);

CREATE INDEX member_status ON old_main.member USING btree (status);

CREATE INDEX openinginterval_station_id ON old_main.opening_interval USING btree (station_id);

CREATE INDEX openinginterval_station_id_weekday ON old_main.opening_interval USING btree (station_id, weekday);

CREATE INDEX scheduledevent_created_by_id ON old_main.scheduled_event USING btree (created_by_id);

CREATE INDEX scheduledeventstation_event_id ON old_main.scheduled_event_station USING btree (event_id);

CREATE UNIQUE INDEX scheduledeventstation_event_id_station_id ON old_main.scheduled_event_station USING btree (event_id, station_id);

CREATE INDEX scheduledeventstation_station_id ON old_main.scheduled_event_station USING btree (station_id);

CREATE INDEX servicerequest_centre_id ON old_main.service_request USING btree (centre_id);

CREATE INDEX servicerequest_district_id ON old_main.service_request USING btree (district_id);

CREATE INDEX servicerequest_due_at ON old_main.service_request USING btree (due_at);

CREATE UNIQUE INDEX servicerequest_event_id ON old_main.service_request USING btree (event_id);

CREATE INDEX servicerequest_filed_at ON old_main.service_request USING btree (filed_at);

CREATE INDEX servicerequest_phone_hash ON old_main.service_request USING btree (phone_hash);

CREATE INDEX servicerequest_station_code ON old_main.service_request USING btree (station_code);

CREATE INDEX servicerequest_status ON old_main.service_request USING btree (status);

CREATE UNIQUE INDEX servicerequest_tracking_code ON old_main.service_request USING btree (tracking_code);

CREATE INDEX staffuser_district_id ON old_main.staffuser USING btree (district_id);

CREATE INDEX staffuser_federation_id ON old_main.staffuser USING btree (federation_id);

CREATE UNIQUE INDEX staffuser_username ON old_main.staffuser USING btree (username);

CREATE UNIQUE INDEX station_code ON old_main.station USING btree (code);

CREATE INDEX station_district_id ON old_main.station USING btree (district_id);

CREATE UNIQUE INDEX stationevent_event_id ON old_main.stationevent USING btree (event_id);

CREATE INDEX stationevent_station_code ON old_main.stationevent USING btree (station_code);

CREATE INDEX stationmanager_station_id ON old_main.stationmanager USING btree (station_id);

CREATE INDEX stationmanager_user_id ON old_main.stationmanager USING btree (user_id);

CREATE UNIQUE INDEX stationmanager_user_id_station_id ON old_main.stationmanager USING btree (user_id, station_id);

CREATE INDEX statuschange_actor_id ON old_main.status_change USING btree (actor_id);

CREATE INDEX statuschange_request_id ON old_main.status_change USING btree (request_id);

CREATE INDEX trackingfailure_scope_key_at ON old_main.tracking_failure USING btree (scope, key, at);

CREATE UNIQUE INDEX voucher_claim_event_id ON old_main.voucher USING btree (claim_event_id);

CREATE INDEX voucher_member_no_month ON old_main.voucher USING btree (member_no, month);

CREATE UNIQUE INDEX voucher_one_per_member_month ON old_main.voucher USING btree (member_no, month) WHERE ((status)::text = 'confirmed'::text);

CREATE INDEX voucher_redeemed_by_id ON old_main.voucher USING btree (redeemed_by_id);

CREATE INDEX voucher_station_code_month ON old_main.voucher USING btree (station_code, month);

CREATE UNIQUE INDEX voucher_voucher_no ON old_main.voucher USING btree (voucher_no);

CREATE UNIQUE INDEX voucherpolicy_district_id ON old_main.voucher_policy USING btree (district_id);

CREATE UNIQUE INDEX workdayexception_day ON old_main.workday_exception USING btree (day);

CREATE INDEX workdayexception_year_id ON old_main.workday_exception USING btree (year_id);

CREATE INDEX workdayyear_imported_by_id ON old_main.workday_year USING btree (imported_by_id);

CREATE UNIQUE INDEX workdayyear_year ON old_main.workday_year USING btree (year);

ALTER TABLE ONLY old_main.alarm
    ADD CONSTRAINT alarm_acknowledged_by_id_fkey FOREIGN KEY (acknowledged_by_id) REFERENCES old_main.staffuser(id) ON DELETE SET NULL;

ALTER TABLE ONLY old_main.alarm
    ADD CONSTRAINT alarm_cleared_by_id_fkey FOREIGN KEY (cleared_by_id) REFERENCES old_main.staffuser(id) ON DELETE SET NULL;

ALTER TABLE ONLY old_main.apitoken
    ADD CONSTRAINT apitoken_user_id_fkey FOREIGN KEY (user_id) REFERENCES old_main.staffuser(id) ON DELETE CASCADE;

ALTER TABLE ONLY old_main.audit_entry
    ADD CONSTRAINT audit_entry_actor_id_fkey FOREIGN KEY (actor_id) REFERENCES old_main.staffuser(id) ON DELETE SET NULL;

ALTER TABLE ONLY old_main.centre_member
    ADD CONSTRAINT centre_member_centre_id_fkey FOREIGN KEY (centre_id) REFERENCES old_main.legal_aid_centre(id) ON DELETE CASCADE;

ALTER TABLE ONLY old_main.centre_member
    ADD CONSTRAINT centre_member_user_id_fkey FOREIGN KEY (user_id) REFERENCES old_main.staffuser(id) ON DELETE CASCADE;

ALTER TABLE ONLY old_main.command
    ADD CONSTRAINT command_requested_by_id_fkey FOREIGN KEY (requested_by_id) REFERENCES old_main.staffuser(id) ON DELETE SET NULL;

ALTER TABLE ONLY old_main.contact_attempt
    ADD CONSTRAINT contact_attempt_actor_id_fkey FOREIGN KEY (actor_id) REFERENCES old_main.staffuser(id) ON DELETE SET NULL;

ALTER TABLE ONLY old_main.contact_attempt
    ADD CONSTRAINT contact_attempt_request_id_fkey FOREIGN KEY (request_id) REFERENCES old_main.service_request(id) ON DELETE CASCADE;

ALTER TABLE ONLY old_main.district
    ADD CONSTRAINT district_federation_id_fkey FOREIGN KEY (federation_id) REFERENCES old_main.federation(id);

ALTER TABLE ONLY old_main.export_job
    ADD CONSTRAINT export_job_user_id_fkey FOREIGN KEY (user_id) REFERENCES old_main.staffuser(id) ON DELETE CASCADE;

ALTER TABLE ONLY old_main.feedback_category
    ADD CONSTRAINT feedback_category_feedback_id_fkey FOREIGN KEY (feedback_id) REFERENCES old_main.feedback(id) ON DELETE CASCADE;

ALTER TABLE ONLY old_main.follow_up
    ADD CONSTRAINT follow_up_done_by_id_fkey FOREIGN KEY (done_by_id) REFERENCES old_main.staffuser(id) ON DELETE SET NULL;

ALTER TABLE ONLY old_main.follow_up
    ADD CONSTRAINT follow_up_request_id_fkey FOREIGN KEY (request_id) REFERENCES old_main.service_request(id) ON DELETE CASCADE;

ALTER TABLE ONLY old_main.legal_aid_centre
    ADD CONSTRAINT legal_aid_centre_district_id_fkey FOREIGN KEY (district_id) REFERENCES old_main.district(id);

ALTER TABLE ONLY old_main.member
    ADD CONSTRAINT member_district_id_fkey FOREIGN KEY (district_id) REFERENCES old_main.district(id);

ALTER TABLE ONLY old_main.opening_interval
    ADD CONSTRAINT opening_interval_station_id_fkey FOREIGN KEY (station_id) REFERENCES old_main.station(id) ON DELETE CASCADE;

ALTER TABLE ONLY old_main.scheduled_event
    ADD CONSTRAINT scheduled_event_created_by_id_fkey FOREIGN KEY (created_by_id) REFERENCES old_main.staffuser(id) ON DELETE SET NULL;

ALTER TABLE ONLY old_main.scheduled_event_station
    ADD CONSTRAINT scheduled_event_station_event_id_fkey FOREIGN KEY (event_id) REFERENCES old_main.scheduled_event(id) ON DELETE CASCADE;

ALTER TABLE ONLY old_main.scheduled_event_station
    ADD CONSTRAINT scheduled_event_station_station_id_fkey FOREIGN KEY (station_id) REFERENCES old_main.station(id) ON DELETE CASCADE;

ALTER TABLE ONLY old_main.service_request
    ADD CONSTRAINT service_request_centre_id_fkey FOREIGN KEY (centre_id) REFERENCES old_main.legal_aid_centre(id);

ALTER TABLE ONLY old_main.service_request
    ADD CONSTRAINT service_request_district_id_fkey FOREIGN KEY (district_id) REFERENCES old_main.district(id);

ALTER TABLE ONLY old_main.staffuser
    ADD CONSTRAINT staffuser_district_id_fkey FOREIGN KEY (district_id) REFERENCES old_main.district(id);

ALTER TABLE ONLY old_main.staffuser
    ADD CONSTRAINT staffuser_federation_id_fkey FOREIGN KEY (federation_id) REFERENCES old_main.federation(id);

ALTER TABLE ONLY old_main.station
    ADD CONSTRAINT station_district_id_fkey FOREIGN KEY (district_id) REFERENCES old_main.district(id);

ALTER TABLE ONLY old_main.stationmanager
    ADD CONSTRAINT stationmanager_station_id_fkey FOREIGN KEY (station_id) REFERENCES old_main.station(id) ON DELETE CASCADE;

ALTER TABLE ONLY old_main.stationmanager
    ADD CONSTRAINT stationmanager_user_id_fkey FOREIGN KEY (user_id) REFERENCES old_main.staffuser(id) ON DELETE CASCADE;

ALTER TABLE ONLY old_main.status_change
    ADD CONSTRAINT status_change_actor_id_fkey FOREIGN KEY (actor_id) REFERENCES old_main.staffuser(id) ON DELETE SET NULL;

ALTER TABLE ONLY old_main.status_change
    ADD CONSTRAINT status_change_request_id_fkey FOREIGN KEY (request_id) REFERENCES old_main.service_request(id) ON DELETE CASCADE;

ALTER TABLE ONLY old_main.voucher_policy
    ADD CONSTRAINT voucher_policy_district_id_fkey FOREIGN KEY (district_id) REFERENCES old_main.district(id) ON DELETE CASCADE;

ALTER TABLE ONLY old_main.voucher
    ADD CONSTRAINT voucher_redeemed_by_id_fkey FOREIGN KEY (redeemed_by_id) REFERENCES old_main.staffuser(id) ON DELETE SET NULL;

ALTER TABLE ONLY old_main.workday_exception
    ADD CONSTRAINT workday_exception_year_id_fkey FOREIGN KEY (year_id) REFERENCES old_main.workday_year(id) ON DELETE CASCADE;

ALTER TABLE ONLY old_main.workday_year
    ADD CONSTRAINT workday_year_imported_by_id_fkey FOREIGN KEY (imported_by_id) REFERENCES old_main.staffuser(id) ON DELETE SET NULL;
