#!/usr/bin/env node
/**
 * CDK entry point. The stage comes from context: `cdk synth -c stage=test` (default) or
 * `-c stage=live`; other settings are listed in docs/deploy.md.
 */
import { buildStripeLicensingApp } from '../lib/stripe-licensing-app';

buildStripeLicensingApp();
