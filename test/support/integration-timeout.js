'use strict';
// Integration tests start real brokers, decode real video and run the real model.
jest.setTimeout(120000);
