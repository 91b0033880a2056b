-- Languages (API.md §8): the language a user chose (PATCH /me {locale}: 'en' or 'zh-CN'); NULL: none
-- chosen, their browser's Accept-Language decides (see mysql/0007_locale.sql).
ALTER TABLE users ADD COLUMN locale TEXT NULL;
