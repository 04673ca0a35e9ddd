-- Functions, a table and a view dropped along with what uses them: a
-- function called by another's default or body, by a domain's check; a
-- table whose row type a function returns, a domain stands for and a kept
-- table's column holds; a view a function body reads.
CREATE TABLE holders (id int PRIMARY KEY);
