-- Languages (API.md §8): the language a user chose (PATCH /me {locale}), which their pages and their
-- e-mails speak: 'en' or 'zh-CN'. NULL: none chosen, their browser's Accept-Language decides.
ALTER TABLE users ADD COLUMN locale VARCHAR(8) NULL;
