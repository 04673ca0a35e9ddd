CREATE TABLE t (a varchar(100), b bigint, c text, d numeric(14,3), e integer[], f double precision);
