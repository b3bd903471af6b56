-- User names are one person whatever their case (directories compare them without case): Alice is alice.
create unique index users_name_lower on users (lower(name));
