-- What answered the customer's phone on a callback, as Twilio's answering machine detection
-- reported it (human, machine_start, machine_end_beep, fax, unknown...): a voicemail is no callback.
ALTER TABLE callback_attempts ADD COLUMN customer_answered_by text;
